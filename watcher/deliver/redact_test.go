package deliver

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRedact(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"token in an https remote", "push https://x-access-token:ghp_abc@github.com/o/r.git: 403",
			"push https://xxxxx@github.com/o/r.git: 403"},
		{"user only", "clone ssh://git@example.com/r.git", "clone ssh://xxxxx@example.com/r.git"},
		{"several URLs", "a http://u:p@h1/x b http://v:q@h2/y", "a http://xxxxx@h1/x b http://xxxxx@h2/y"},
		{"no credentials", "push https://github.com/o/r.git: timeout", "push https://github.com/o/r.git: timeout"},
		{"an @ in the path is not userinfo", "GET https://h/a@b", "GET https://h/a@b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, redact(tc.in))
		})
	}
}
