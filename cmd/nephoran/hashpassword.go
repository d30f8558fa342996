package main

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nephoran/nephoran/watcher/auth"
)

func newHashPasswordCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "hash-password",
		Short: "Read a password from stdin and print its bcrypt hash for the watcher's auth.users",
		Long: `hash-password reads one line (the password) from standard input and prints only its
bcrypt hash, for auth.users[].passwordHash in the watcher's config. The password is
never taken as an argument, so it stays out of shell history and process lists:

  read -rs PW && printf '%s\n' "$PW" | nephoran hash-password`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
			if err != nil && line == "" {
				return fmt.Errorf("read the password from stdin: %w", err)
			}
			hash, err := auth.HashPassword(strings.TrimRight(line, "\r\n"))
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), hash)
			return nil
		},
	}
}
