package auth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// pki is a throwaway PKI made for one test: a client CA, a server
// certificate for 127.0.0.1 (signed by the same CA, which the clients
// trust), and client certificates good and bad, all written as PEM where
// a Config wants files.
type pki struct {
	caFile, certFile, keyFile string
	roots                     *x509.CertPool // what clients trust for the server
	good                      tls.Certificate
	goodURI                   string // a SAN URI of good
	otherName                 tls.Certificate
	otherCA                   tls.Certificate
	expired                   tls.Certificate
}

const (
	goodCN  = "ves-producer-1"
	otherCN = "ves-producer-2"
)

type issuer struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return k
}

func serial(t *testing.T) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	require.NoError(t, err)
	return n
}

func newCA(t *testing.T, name string) issuer {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return issuer{cert: cert, key: key}
}

// issue signs a leaf; tweak adjusts the template.
func (ca issuer) issue(t *testing.T, cn string, usage x509.ExtKeyUsage, tweak func(*x509.Certificate)) (tls.Certificate, []byte, []byte) {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: serial(t),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	if tweak != nil {
		tweak(tmpl)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	require.NoError(t, err)
	return pair, certPEM, keyPEM
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	dir := t.TempDir()
	ca := newCA(t, "nephoran test client CA")
	other := newCA(t, "some other CA")
	p := &pki{roots: x509.NewCertPool(), goodURI: "spiffe://ran.example/ves-producer-1"}
	p.roots.AddCert(ca.cert)
	p.caFile = writeFile(t, filepath.Join(dir, "client-ca.crt"),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}))

	_, certPEM, keyPEM := ca.issue(t, "nephoran-watcher", x509.ExtKeyUsageServerAuth, func(c *x509.Certificate) {
		c.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	})
	p.certFile = writeFile(t, filepath.Join(dir, "tls.crt"), certPEM)
	p.keyFile = writeFile(t, filepath.Join(dir, "tls.key"), keyPEM)

	uri, err := url.Parse(p.goodURI)
	require.NoError(t, err)
	p.good, _, _ = ca.issue(t, goodCN, x509.ExtKeyUsageClientAuth, func(c *x509.Certificate) {
		c.DNSNames = []string{"producer-1.ran.example"}
		c.URIs = []*url.URL{uri}
	})
	p.otherName, _, _ = ca.issue(t, otherCN, x509.ExtKeyUsageClientAuth, nil)
	p.otherCA, _, _ = other.issue(t, goodCN, x509.ExtKeyUsageClientAuth, nil)
	p.expired, _, _ = ca.issue(t, goodCN, x509.ExtKeyUsageClientAuth, func(c *x509.Certificate) {
		c.NotBefore = time.Now().Add(-48 * time.Hour)
		c.NotAfter = time.Now().Add(-time.Hour)
	})
	return p
}

// client is an HTTPS client that trusts the test CA and presents cert
// (none when nil) whatever CAs the server names, as curl --cert does (Go's
// client would otherwise withhold a certificate from an unnamed CA).
// Keep-alives are off so every request is a handshake.
func (p *pki) client(cert *tls.Certificate) *http.Client {
	cfg := &tls.Config{RootCAs: p.roots, MinVersion: tls.VersionTLS12}
	if cert != nil {
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	return &http.Client{
		Transport: &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true},
		Timeout:   10 * time.Second,
	}
}
