package auth

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// HashPassword returns the bcrypt hash ($2a$, cost bcrypt.DefaultCost) of
// pw for auth.users[].passwordHash. `nephoran hash-password` is to call it
// with a password read from the terminal without echo (or from stdin) and
// print only the hash; the password must never be a command-line argument.
// Passwords over 72 bytes are refused (bcrypt would ignore the rest).
func HashPassword(pw string) (string, error) {
	if pw == "" {
		return "", errors.New("hash password: empty password")
	}
	if len(pw) > maxPasswordBytes {
		return "", fmt.Errorf("hash password: longer than %d bytes", maxPasswordBytes)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}
