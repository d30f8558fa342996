package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

// startTimeout bounds how long etcd and kube-apiserver may take to get ready.
const startTimeout = 90 * time.Second

// StartKubeAPIServer starts bin/etcd and bin/kube-apiserver on random free
// 127.0.0.1 ports with their state in t.TempDir(), waits until /readyz
// answers, and stops both when the test ends. The returned config
// authenticates as a member of system:masters (token auth, RBAC, anonymous
// access off) and has client-side throttling raised so tests are not slowed.
func StartKubeAPIServer(t testing.TB) *rest.Config {
	t.Helper()
	etcdBin, apiserverBin := Tool(t, "etcd"), Tool(t, "kube-apiserver")
	dir := t.TempDir()
	ports := freePorts(t, 4)
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])

	etcd := startProcess(t, dir, "etcd", etcdBin,
		"--name=default",
		"--data-dir="+filepath.Join(dir, "etcd-data"),
		"--listen-client-urls="+etcdURL,
		"--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=default="+peerURL,
		"--listen-metrics-urls=http://127.0.0.1:"+strconv.Itoa(ports[2]),
		"--unsafe-no-fsync", // test data: durability is not needed
		"--log-level=warn",
	)
	etcd.waitReady(t, http.DefaultClient, etcdURL+"/health", "")

	token := randomHex(t, 16)
	writeFile(t, dir, "tokens.csv", token+`,admin,admin-uid,"system:masters"`+"\n")
	saPub, saKey := writeServiceAccountKeys(t, dir)
	host := "https://127.0.0.1:" + strconv.Itoa(ports[3])
	apiserver := startProcess(t, dir, "kube-apiserver", apiserverBin,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(ports[3]),
		"--cert-dir="+filepath.Join(dir, "certs"),
		"--endpoint-reconciler-type=none",
		"--token-auth-file="+filepath.Join(dir, "tokens.csv"),
		"--authorization-mode=RBAC",
		"--anonymous-auth=false",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+saPub,
		"--service-account-signing-key-file="+saKey,
		"--service-cluster-ip-range=10.96.0.0/16",
	)
	insecure := &http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // self-signed test server
	}}
	apiserver.waitReady(t, insecure, host+"/readyz", token)

	return &rest.Config{
		Host:            host,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{Insecure: true},
		QPS:             200,
		Burst:           400,
	}
}

// process is one started server; its output goes to <dir>/<name>.log.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed when the process has exited
	err  error         // the Wait result, valid once done is closed
}

// startProcess starts bin in its own process group and registers a cleanup
// that terminates the whole group and waits for it.
func startProcess(t testing.TB, dir, name, bin string, args ...string) *process {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("testenv: start %s: %v", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	t.Cleanup(p.stop)
	return p
}

// stop sends SIGTERM to the process group, then SIGKILL after a grace period,
// and waits for the process to exit.
func (p *process) stop() {
	pgid := -p.cmd.Process.Pid
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		<-p.done
	}
}

// waitReady polls url (with the bearer token, if any) until it answers 200,
// failing the test with the tail of the process's log if the process exits
// or startTimeout passes first.
func (p *process) waitReady(t testing.TB, client *http.Client, url, token string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	var last string
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-p.done:
			t.Fatalf("testenv: %s exited before ready (%v); %s:\n%s", p.name, p.err, p.log, tail(p.log))
		case <-ctx.Done():
			t.Fatalf("testenv: %s not ready after %s (last: %s); %s:\n%s", p.name, startTimeout, last, p.log, tail(p.log))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// tail returns the last lines of the file at path.
func tail(path string) string {
	const max = 4000
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > max {
		b = b[len(b)-max:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(b)
}

// freePorts returns n distinct free TCP ports on 127.0.0.1. They are released
// before use, so another process could take one in between; that is rare
// enough for tests and shows up as a clear bind error in the server's log.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("testenv: %v", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// writeServiceAccountKeys writes an RSA key pair for signing service account
// tokens and returns the public and private key file paths.
func writeServiceAccountKeys(t testing.TB, dir string) (pub, key string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	pub = writeFile(t, dir, "sa.pub", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})))
	key = writeFile(t, dir, "sa.key", string(pem.EncodeToMemory(&pem.Block{
		Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k),
	})))
	return pub, key
}

// writeFile writes content to dir/name (mode 0600) and returns its path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return path
}

// randomHex returns n random bytes, hex-encoded.
func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return hex.EncodeToString(b)
}
