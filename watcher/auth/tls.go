package auth

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"strings"
)

// TLSConfig is the server's TLS configuration, or nil for plain HTTP (noAuth
// or basicAuth without certFile/keyFile). Each call returns a fresh copy the
// caller may extend (NextProtos, for example). Every config has TLS 1.2 as
// its minimum; certOnly requires and verifies a client certificate,
// certBasicAuth verifies one if the client offers it, the other modes do not
// ask for one. The files were read in New, so the error is always nil today;
// it is there for reloading certificates later.
func (a *Authenticator) TLSConfig() (*tls.Config, error) {
	if a.tls == nil {
		return nil, nil
	}
	return a.tls.Clone(), nil
}

// loadTLS reads the server key pair and the client CA bundle of a
// validated cfg.
func loadTLS(cfg Config) (*tls.Config, error) {
	if cfg.CertFile == "" { // Validate made certFile and keyFile go together
		return nil, nil
	}
	pair, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("auth.certFile, auth.keyFile: load server key pair: %w", err)
	}
	c := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{pair},
		ClientAuth:   tls.NoClientCert,
	}
	mode := cfg.Mode
	if mode.cert() {
		if c.ClientCAs, err = loadCAs(cfg.ClientCAFile); err != nil {
			return nil, fmt.Errorf("auth.clientCAFile: %w", err)
		}
		c.ClientAuth = tls.RequireAndVerifyClientCert
		if mode == ModeCertBasic {
			c.ClientAuth = tls.VerifyClientCertIfGiven
		}
	}
	return c, nil
}

// loadCAs reads a PEM bundle, which must hold at least one certificate and
// nothing that fails to parse.
func loadCAs(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	n := 0
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: certificate %d: %w", path, n+1, err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("%s: no PEM CERTIFICATE blocks", path)
	}
	return pool, nil
}

// hasVerifiedCert reports whether the handshake verified a client
// certificate chain.
func hasVerifiedCert(r *http.Request) bool {
	return r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0
}

// checkCert admits a request whose connection carries a verified client
// certificate with an allowed subject. The chain, validity period and key
// usage were checked by crypto/tls against ClientCAs; r.TLS.PeerCertificates
// alone (unverified) is never trusted.
func (a *Authenticator) checkCert(r *http.Request) error {
	if !hasVerifiedCert(r) {
		return refuse(ReasonNoClientCert)
	}
	if len(a.subjects) == 0 {
		return nil
	}
	if !allowed(r.TLS.VerifiedChains[0][0], a.subjects) {
		return refuse(ReasonSubjectNotAllowed)
	}
	return nil
}

// allowed reports whether the certificate's subject CN or one of its SANs
// equals an entry of list; DNS names compare case-insensitively.
func allowed(cert *x509.Certificate, list []string) bool {
	for _, s := range list {
		if cert.Subject.CommonName != "" && cert.Subject.CommonName == s {
			return true
		}
		for _, n := range cert.DNSNames {
			if strings.EqualFold(n, s) {
				return true
			}
		}
		for _, n := range cert.EmailAddresses {
			if n == s {
				return true
			}
		}
		for _, ip := range cert.IPAddresses {
			if ip.String() == s {
				return true
			}
		}
		for _, u := range cert.URIs {
			if u.String() == s {
				return true
			}
		}
	}
	return false
}
