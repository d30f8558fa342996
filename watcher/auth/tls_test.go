package auth_test

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nephoran/nephoran/watcher/auth"
)

// serve starts a real TLS server on 127.0.0.1 with a's TLSConfig and a
// handler guarded by a.Require; it counts the requests that got through.
func serve(t *testing.T, a *auth.Authenticator) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var served atomic.Int64
	h := a.Require(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		served.Add(1)
		_, _ = io.WriteString(w, "ok")
	}), nil)
	cfg, err := a.TLSConfig()
	require.NoError(t, err)
	require.NotNil(t, cfg)
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected here
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, &served
}

// get sends a GET with optional Basic credentials and returns the status,
// or the transport error (a refused handshake).
func get(t *testing.T, c *http.Client, url, authorization string) (int, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

type tlsCase struct {
	name      string
	cert      *tls.Certificate
	header    string
	status    int    // when the handshake succeeds
	handshake string // when it must fail: the TLS alert the client sees
}

func runTLSCases(t *testing.T, p *pki, a *auth.Authenticator, tests []tlsCase) {
	t.Helper()
	srv, served := serve(t, a)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := served.Load()
			status, err := get(t, p.client(tt.cert), srv.URL, tt.header)
			if tt.handshake != "" {
				require.ErrorContains(t, err, tt.handshake)
				require.Equal(t, before, served.Load(), "the handler must not run")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.status, status)
			if status == http.StatusOK {
				require.Equal(t, before+1, served.Load())
			} else {
				require.Equal(t, before, served.Load(), "the handler must not run")
			}
		})
	}
}

func TestCertOnly(t *testing.T) {
	p := newPKI(t)
	cfg := auth.Config{Mode: auth.ModeCert, CertFile: p.certFile, KeyFile: p.keyFile, ClientCAFile: p.caFile}
	t.Run("any subject from the CA", func(t *testing.T) {
		runTLSCases(t, p, newAuth(t, cfg), []tlsCase{
			{name: "client certificate from the client CA", cert: &p.good, status: http.StatusOK},
			{name: "another subject from the same CA, no allow-list", cert: &p.otherName, status: http.StatusOK},
			{name: "no client certificate: handshake refused", handshake: "certificate required"},
			{name: "no client certificate, Basic credentials do not help", header: basic("u", "p"), handshake: "certificate required"},
			{name: "certificate from another CA", cert: &p.otherCA, handshake: "unknown certificate authority"},
			{name: "expired certificate from the right CA", cert: &p.expired, handshake: "expired certificate"},
		})
	})

	for _, allow := range []string{goodCN, "PRODUCER-1.ran.example", p.goodURI} {
		t.Run("allow-list by "+allow, func(t *testing.T) {
			c := cfg
			c.AllowedSubjects = []string{"someone-else", allow}
			runTLSCases(t, p, newAuth(t, c), []tlsCase{
				{name: "allowed subject", cert: &p.good, status: http.StatusOK},
				{name: "subject not on the list: 401 after the handshake", cert: &p.otherName, status: http.StatusUnauthorized},
			})
		})
	}
}

func TestCertBasicAuth(t *testing.T) {
	p := newPKI(t)
	a := newAuth(t, auth.Config{
		Mode:            auth.ModeCertBasic,
		Users:           []auth.User{{Username: "ran-sim", PasswordHash: hashOf(t, "s3cret")}},
		CertFile:        p.certFile,
		KeyFile:         p.keyFile,
		ClientCAFile:    p.caFile,
		AllowedSubjects: []string{goodCN},
	})
	good := basic("ran-sim", "s3cret")
	runTLSCases(t, p, a, []tlsCase{
		{name: "allowed certificate alone", cert: &p.good, status: http.StatusOK},
		{name: "Basic credentials alone", header: good, status: http.StatusOK},
		{name: "both", cert: &p.good, header: good, status: http.StatusOK},
		{name: "neither", status: http.StatusUnauthorized},
		{name: "wrong password, no certificate", header: basic("ran-sim", "nope"), status: http.StatusUnauthorized},
		{name: "allowed certificate admits even with a wrong password", cert: &p.good, header: basic("ran-sim", "nope"), status: http.StatusOK},
		{name: "subject not allowed, no credentials", cert: &p.otherName, status: http.StatusUnauthorized},
		{name: "subject not allowed, Basic credentials decide", cert: &p.otherName, header: good, status: http.StatusOK},
		{name: "certificate from another CA fails the handshake despite good credentials", cert: &p.otherCA, header: good, handshake: "unknown certificate authority"},
		{name: "expired certificate fails the handshake despite good credentials", cert: &p.expired, header: good, handshake: "expired certificate"},
	})
}

// basicAuth with certFile/keyFile is server-only TLS: no client
// certificate is asked for, Basic decides.
func TestBasicOverServerTLS(t *testing.T) {
	p := newPKI(t)
	a := newAuth(t, auth.Config{
		Mode:     auth.ModeBasic,
		Users:    []auth.User{{Username: "ran-sim", PasswordHash: hashOf(t, "s3cret")}},
		CertFile: p.certFile,
		KeyFile:  p.keyFile,
	})
	runTLSCases(t, p, a, []tlsCase{
		{name: "good credentials", header: basic("ran-sim", "s3cret"), status: http.StatusOK},
		{name: "bad credentials", header: basic("ran-sim", "x"), status: http.StatusUnauthorized},
		{name: "a client certificate neither helps nor hurts", cert: &p.good, status: http.StatusUnauthorized},
	})
}

func TestTLSConfig(t *testing.T) {
	p := newPKI(t)
	users := []auth.User{{Username: "u", PasswordHash: hashOf(t, "p")}}
	tests := []struct {
		name       string
		cfg        auth.Config
		plain      bool
		clientAuth tls.ClientAuthType
		clientCAs  bool
	}{
		{"noAuth without files is plain HTTP", auth.Config{}, true, 0, false},
		{"basicAuth without files is plain HTTP", auth.Config{Mode: auth.ModeBasic, Users: users}, true, 0, false},
		{"noAuth with files is server TLS", auth.Config{CertFile: p.certFile, KeyFile: p.keyFile}, false, tls.NoClientCert, false},
		{"basicAuth with files is server TLS", auth.Config{Mode: auth.ModeBasic, Users: users, CertFile: p.certFile, KeyFile: p.keyFile}, false, tls.NoClientCert, false},
		{"certOnly requires a verified client certificate",
			auth.Config{Mode: auth.ModeCert, CertFile: p.certFile, KeyFile: p.keyFile, ClientCAFile: p.caFile}, false, tls.RequireAndVerifyClientCert, true},
		{"certBasicAuth verifies a certificate if given",
			auth.Config{Mode: auth.ModeCertBasic, Users: users, CertFile: p.certFile, KeyFile: p.keyFile, ClientCAFile: p.caFile}, false, tls.VerifyClientCertIfGiven, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAuth(t, tt.cfg)
			c, err := a.TLSConfig()
			require.NoError(t, err)
			if tt.plain {
				require.Nil(t, c)
				return
			}
			require.NotNil(t, c)
			require.Equal(t, uint16(tls.VersionTLS12), c.MinVersion)
			require.Equal(t, tt.clientAuth, c.ClientAuth)
			require.Equal(t, tt.clientCAs, c.ClientCAs != nil)
			require.Len(t, c.Certificates, 1)

			c.NextProtos = []string{"changed"}
			again, err := a.TLSConfig()
			require.NoError(t, err)
			require.Empty(t, again.NextProtos, "each call returns a copy")
		})
	}
}

// Authenticate trusts only chains crypto/tls verified: a request whose
// connection state lists peer certificates but no verified chain (a server
// not using TLSConfig) is refused.
func TestCertOnlyIgnoresUnverifiedPeerCertificates(t *testing.T) {
	p := newPKI(t)
	a := newAuth(t, auth.Config{Mode: auth.ModeCert, CertFile: p.certFile, KeyFile: p.keyFile, ClientCAFile: p.caFile})
	r := withAuthorization("")
	requireRefused(t, a.Authenticate(r), auth.ReasonNoClientCert)
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{p.good.Leaf}}
	requireRefused(t, a.Authenticate(r), auth.ReasonNoClientCert)
}
