package deliver

import "regexp"

// userinfo matches the credentials of a URL (scheme://user:password@).
var userinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@\s]+@`)

// redact masks the credentials of any URL in a Proposer's error before the
// worker logs it or stores it as the proposal's last error: a backend
// should not put them there, but a git remote with a token in its URL is
// one wrapped error away.
func redact(msg string) string {
	return userinfo.ReplaceAllString(msg, "${1}xxxxx@")
}
