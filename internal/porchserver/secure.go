package porchserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Credentials are the files a client of a StartSecure server needs: the
// CA that signed the server's and the client's certificates, a client
// certificate and key, and a bearer token. Either the token or the client
// certificate authenticates.
type Credentials struct {
	CAFile, ClientCertFile, ClientKeyFile, TokenFile string
}

// StartSecure serves a new, empty Porch API over TLS on 127.0.0.1, as a
// kube-apiserver does: a request must carry the bearer token or a client
// certificate signed by the server's CA, else it is 401 Unauthorized.
func StartSecure(t testing.TB) (*Server, Credentials) {
	t.Helper()
	dir := t.TempDir()
	ca, caKey := newCert(t, "porchserver-ca", nil, nil, true)
	srvCert, srvKey := newCert(t, "porchserver", ca, caKey, false)
	cliCert, cliKey := newCert(t, "nephoran-watcher", ca, caKey, false)
	creds := Credentials{
		CAFile:         writePEM(t, dir, "ca.crt", "CERTIFICATE", ca.Raw),
		ClientCertFile: writePEM(t, dir, "client.crt", "CERTIFICATE", cliCert.Raw),
		ClientKeyFile:  writePEM(t, dir, "client.key", "EC PRIVATE KEY", marshalKey(t, cliKey)),
		TokenFile:      filepath.Join(dir, "token"),
	}
	token := randomToken(t)
	if err := os.WriteFile(creds.TokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatalf("porchserver: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)

	s := newServer()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("porchserver: listen: %v", err)
	}
	authn := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		certOK := r.TLS != nil && len(r.TLS.VerifiedChains) > 0
		if !certOK && subtle.ConstantTimeCompare([]byte(bearer), []byte(token)) != 1 {
			writeError(w, apierrors.NewUnauthorized("Unauthorized"))
			return
		}
		s.ServeHTTP(w, r)
	})
	s.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: authn}, TLS: &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{srvCert.Raw}, PrivateKey: srvKey}},
		ClientCAs:    pool,
		ClientAuth:   tls.VerifyClientCertIfGiven,
		MinVersion:   tls.VersionTLS12,
	}}
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	return s, creds
}

// newCert makes a certificate for cn signed by parent (self-signed when
// parent is nil), valid for 127.0.0.1.
func newCert(t testing.TB, cn string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("porchserver: %v", err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatalf("porchserver: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	if isCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatalf("porchserver: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("porchserver: %v", err)
	}
	return cert, key
}

func marshalKey(t testing.TB, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatalf("porchserver: %v", err)
	}
	return der
}

func writePEM(t testing.TB, dir, name, kind string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatalf("porchserver: %v", err)
	}
	return path
}

func randomToken(t testing.TB) string {
	t.Helper()
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("porchserver: %v", err)
	}
	return strings.ToLower(big.NewInt(0).SetBytes(b).Text(36))
}
