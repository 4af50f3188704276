// goclient: the native Linux client of goserver's check, every byte checked.
//
//	goclient ECHOADDR HTTPADDR
//
// Echo: 8 connections in ping-pong with messages of 1 byte to 64 KiB, and
// one that streams 16 MiB while reading it back, then half-closes and
// expects the server's end of stream.  HTTP: 4 workers post 200 bodies of
// up to 200 KiB over keep-alive connections (no more than one connection
// per worker may be opened: a reset connection is a failure), then the
// served file whole and by byte range, then /quit.  Prints one "ok" line
// per part; any difference or error prints "FAIL ..." and exits 1.
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

const fileSize = 3<<20 + 12345 // goserver's FileSize

func pattern(i int) byte { return byte(i*131 + i>>9) }

var failed atomic.Int32

func fail(format string, args ...any) {
	fmt.Printf("FAIL "+format+"\n", args...)
	failed.Store(1)
}

func pingPong(addr string, id int) (msgs, bytesMoved int) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		fail("echo %d: dial: %v", id, err)
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	r := rand.New(rand.NewSource(int64(id)))
	in := make([]byte, 64<<10)
	for m := 0; m < 300; m++ {
		n := 1 + r.Intn(64<<10)
		if m%10 == 0 {
			n = 1 + r.Intn(16)
		}
		out := make([]byte, n)
		r.Read(out)
		if _, err := c.Write(out); err != nil {
			fail("echo %d: message %d: write: %v", id, m, err)
			return
		}
		if _, err := io.ReadFull(c, in[:n]); err != nil {
			fail("echo %d: message %d of %d bytes: read: %v", id, m, n, err)
			return
		}
		if !bytes.Equal(in[:n], out) {
			fail("echo %d: message %d of %d bytes differs", id, m, n)
			return
		}
		msgs++
		bytesMoved += n
	}
	return
}

func stream(addr string, total int) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		fail("stream: dial: %v", err)
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(120 * time.Second))
	go func() {
		buf := make([]byte, 256<<10)
		for off := 0; off < total; {
			n := len(buf)
			if total-off < n {
				n = total - off
			}
			for i := 0; i < n; i++ {
				buf[i] = byte((off+i)*7 + (off+i)>>13)
			}
			if _, err := c.Write(buf[:n]); err != nil {
				fail("stream: write at %d: %v", off, err)
				return
			}
			off += n
		}
		c.(*net.TCPConn).CloseWrite()
	}()
	buf := make([]byte, 100000)
	got := 0
	for {
		n, err := c.Read(buf)
		for i := 0; i < n; i++ {
			if buf[i] != byte((got+i)*7+(got+i)>>13) {
				fail("stream: byte %d differs", got+i)
				return
			}
		}
		got += n
		if err == io.EOF {
			break
		}
		if err != nil {
			fail("stream: read at %d: %v", got, err)
			return
		}
	}
	if got != total {
		fail("stream: %d bytes back of %d before the end of stream", got, total)
		return
	}
	fmt.Printf("ok echo stream: %d bytes back in order, then the server's end of stream\n", total)
}

func checkEcho(addr string) {
	var wg sync.WaitGroup
	var msgs, moved atomic.Int64
	for id := 0; id < 8; id++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			m, b := pingPong(addr, id)
			msgs.Add(int64(m))
			moved.Add(int64(b))
		}(id)
	}
	wg.Add(1)
	go func() { defer wg.Done(); stream(addr, 16<<20) }()
	wg.Wait()
	if msgs.Load() == 8*300 {
		fmt.Printf("ok echo ping-pong: %d messages, %d bytes, on 8 connections\n", msgs.Load(), moved.Load())
	}
}

func checkHTTP(addr string) {
	base := "http://" + addr
	tr := &http.Transport{MaxIdleConnsPerHost: 8, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	var opened atomic.Int32
	trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) {
		if !i.Reused {
			opened.Add(1)
		}
	}}
	ctx := httptrace.WithClientTrace(context.Background(), trace)
	var wg sync.WaitGroup
	var posts, moved atomic.Int64
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewSource(int64(100 + w)))
			for i := 0; i < 50; i++ {
				body := make([]byte, r.Intn(200<<10))
				r.Read(body)
				req, _ := http.NewRequestWithContext(ctx, "POST", base+"/echo", bytes.NewReader(body))
				resp, err := client.Do(req)
				if err != nil {
					fail("http post %d.%d: %v", w, i, err)
					return
				}
				got, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 || !bytes.Equal(got, body) {
					fail("http post %d.%d of %d bytes: status %d, %d bytes back, err %v", w, i, len(body), resp.StatusCode, len(got), err)
					return
				}
				posts.Add(1)
				moved.Add(int64(len(body)))
			}
		}(w)
	}
	wg.Wait()
	if posts.Load() == 200 {
		if n := opened.Load(); n > 4 {
			fail("http: 200 keep-alive posts by 4 workers opened %d connections (a connection was dropped)", n)
		} else {
			fmt.Printf("ok http keep-alive: 200 posts, %d bytes echoed, over %d connections\n", moved.Load(), n)
		}
	}

	want := make([]byte, fileSize)
	for i := range want {
		want[i] = pattern(i)
	}
	for i := 0; i < 3; i++ {
		resp, err := client.Get(base + "/file")
		if err != nil {
			fail("http file %d: %v", i, err)
			return
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !bytes.Equal(got, want) {
			fail("http file %d: %d bytes of %d, err %v, equal %v", i, len(got), len(want), err, bytes.Equal(got, want))
			return
		}
	}
	req, _ := http.NewRequest("GET", base+"/file", nil)
	req.Header.Set("Range", "bytes=1000-999999")
	resp, err := client.Do(req)
	if err != nil {
		fail("http file range: %v", err)
		return
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusPartialContent || !bytes.Equal(got, want[1000:1000000]) {
		fail("http file range: status %d, %d bytes, err %v", resp.StatusCode, len(got), err)
		return
	}
	fmt.Printf("ok http file: %d bytes three times and bytes 1000-999999, each byte as written\n", fileSize)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: goclient ECHOADDR HTTPADDR")
		os.Exit(2)
	}
	checkEcho(os.Args[1])
	checkHTTP(os.Args[2])
	resp, err := http.Get("http://" + os.Args[2] + "/quit")
	if err != nil {
		fail("http quit: %v", err)
	} else {
		resp.Body.Close()
	}
	if failed.Load() != 0 {
		os.Exit(1)
	}
}
