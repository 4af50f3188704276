// goserver: a Go network server as Go programs are written, built with
// Debian's golang-go for windows/amd64 and run under Wine, on ws2uring and
// on Wine's builtin ws2_32.  Go's runtime reaches Winsock through its
// completion port (WSARecv/WSASend, AcceptEx, ConnectEx, TransmitFile for
// files, CancelIoEx and SetFileCompletionNotificationModes through
// GetProcAddress), so each request crosses the doors real programs use.
//
//	goserver echo PORT SECONDS   TCP echo on 127.0.0.1:PORT for SECONDS (the benchmark's)
//	goserver all                 TCP echo and HTTP on free ports, printed as
//	                             "echo ADDR" and "http ADDR"; ends on GET /quit
//
// HTTP: POST /echo answers the body; GET /file serves a generated file
// (Go sends it with TransmitFile); GET /quit ends the program with 0.
package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// The file /file serves: FileSize bytes of a pattern the client computes too.
const FileSize = 3<<20 + 12345

func pattern(i int) byte { return byte(i*131 + i>>9) }

// verbose: "all" mode says on stderr why an echo connection ended early
// (the benchmark's clients just go away).
var verbose bool

func report(what string, err error) {
	if verbose {
		fmt.Fprintf(os.Stderr, "goserver: echo %s: %v\n", what, err)
	}
}

func echo(c net.Conn) {
	defer c.Close()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				report("write", werr)
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				report("read", err)
			}
			return
		}
	}
}

func serveEcho(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go echo(c)
	}
}

func listen(port string) net.Listener {
	l, err := net.Listen("tcp4", "127.0.0.1:"+port)
	if err != nil {
		fmt.Fprintln(os.Stderr, "goserver: listen:", err)
		os.Exit(2)
	}
	return l
}

func main() {
	if len(os.Args) == 4 && os.Args[1] == "echo" {
		secs, err := strconv.Atoi(os.Args[3])
		if err != nil {
			fmt.Fprintln(os.Stderr, "goserver: SECONDS:", err)
			os.Exit(2)
		}
		go serveEcho(listen(os.Args[2]))
		time.Sleep(time.Duration(secs) * time.Second)
		return
	}
	if len(os.Args) != 2 || os.Args[1] != "all" {
		fmt.Fprintln(os.Stderr, "usage: goserver echo PORT SECONDS | goserver all")
		os.Exit(2)
	}
	verbose = true
	dir, err := os.MkdirTemp("", "goserver")
	if err != nil {
		fmt.Fprintln(os.Stderr, "goserver:", err)
		os.Exit(2)
	}
	defer os.RemoveAll(dir)
	data := make([]byte, FileSize)
	for i := range data {
		data[i] = pattern(i)
	}
	file := filepath.Join(dir, "file.bin")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "goserver:", err)
		os.Exit(2)
	}

	el, hl := listen("0"), listen("0")
	go serveEcho(el)
	quit := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	})
	mux.HandleFunc("/file", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, file)
	})
	mux.HandleFunc("/quit", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "bye\n")
		close(quit)
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(hl)
	fmt.Printf("echo %s\nhttp %s\n", el.Addr(), hl.Addr())
	<-quit
	// Answers in flight finish; Close then cancels the idle connections'
	// pending receives, as Go's Close of a socket does.
	time.Sleep(100 * time.Millisecond)
	srv.Close()
	el.Close()
}
