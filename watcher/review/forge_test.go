package review_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/review"
)

func TestTransient(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"no answer", &review.APIError{Err: io.ErrUnexpectedEOF}, true},
		{"a locked database (500)", &review.APIError{Status: 500, Message: "database is locked"}, true},
		{"a gateway (502), wrapped", fmt.Errorf("list: %w", &review.APIError{Status: 502}), true},
		{"too many requests", &review.APIError{Status: 429}, true},
		{"a rate limit answered 403", &review.APIError{Status: 403, Message: "API rate limit exceeded", RateLimited: true}, true},
		{"forbidden", &review.APIError{Status: 403, Message: "Resource not accessible"}, false},
		{"not found", &review.APIError{Status: 404}, false},
		{"a refusal", review.Refusal(&review.APIError{Status: 405, Message: "Pull Request is not mergeable"}), false},
		{"a cancelled request is shutdown, not an outage", &review.APIError{Err: fmt.Errorf("Get x: %w", context.Canceled)}, false},
		{"a request that timed out", &review.APIError{Err: context.DeadlineExceeded}, true},
		{"no forge error", errors.New("decode the answer"), false},
		{"nil", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, review.Transient(tc.err))
		})
	}
}

func TestRefusal(t *testing.T) {
	for _, status := range []int{405, 409, 422} {
		err := review.Refusal(fmt.Errorf("merge #3: %w", &review.APIError{Status: status, Message: "no"}))
		require.ErrorIs(t, err, review.ErrRefused, "%d", status)
		require.ErrorContains(t, err, fmt.Sprintf("refused by the forge: merge #3: %d no", status))
		var ae *review.APIError
		require.ErrorAs(t, err, &ae, "the forge's answer stays reachable")
	}
	for _, err := range []error{&review.APIError{Status: 404}, &review.APIError{Status: 500}, &review.APIError{Err: io.EOF}, errors.New("x")} {
		require.NotErrorIs(t, review.Refusal(err), review.ErrRefused)
		require.Equal(t, err, review.Refusal(err), "returned unchanged")
	}
}

func TestAPIErrorSaysStatusAndMessage(t *testing.T) {
	require.Equal(t, "502 Bad Gateway", (&review.APIError{Status: 502}).Error())
	require.Equal(t, "500 database is locked", (&review.APIError{Status: 500, Message: "database is locked"}).Error())
	require.Equal(t, "no answer: unexpected EOF", (&review.APIError{Err: io.ErrUnexpectedEOF}).Error())
	require.ErrorIs(t, &review.APIError{Err: io.ErrUnexpectedEOF}, io.ErrUnexpectedEOF)
}
