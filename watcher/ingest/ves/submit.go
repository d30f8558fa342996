package ves

import "context"

// Submit takes one body ({"event":..} or {"eventList":[..]}) through the same
// validation and Sink as a POST, without HTTP: `nephoran replay` feeds a
// trace's VES lines through it so replay sees exactly what the live listener
// would have accepted. Its error is the one the listener would answer, with
// the spec's messageId and the failing field in its text.
func (l *Listener) Submit(ctx context.Context, body []byte) error {
	if e := l.accept(ctx, endpointWebhook, body); e != nil {
		return e
	}
	return nil
}
