//go:build linux

// udpfloor is the floor under any Go DNS server on this kernel: the UDP
// loop cleandns runs (recvmmsg and sendmmsg, 32 datagrams a call, through
// the netpoller) with no DNS work at all. It answers each datagram with
// itself, QR set and rcode NXDOMAIN, so dnsperf counts it answered. Its
// CPU time per query, beside Unbound's in the same run (bench/floor.sh),
// is the share of a query no pipeline change can remove.
package main

import (
	"flag"
	"log"
	"net"
	"unsafe"

	"golang.org/x/sys/unix"
)

const batchSize = 32

type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
}

func main() {
	addr := flag.String("addr", "127.0.0.1:15357", "listen address (loopback only)")
	flag.Parse()
	ua, err := net.ResolveUDPAddr("udp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	c, err := net.ListenUDP("udp", ua)
	if err != nil {
		log.Fatal(err)
	}
	rc, err := c.SyscallConn()
	if err != nil {
		log.Fatal(err)
	}
	var (
		in, out [batchSize]mmsghdr
		iov     [batchSize]unix.Iovec
		bufs    [batchSize][512]byte
		from    [batchSize]unix.RawSockaddrInet6
		got     int
	)
	for i := range in {
		iov[i].Base = &bufs[i][0]
		in[i].hdr.Iov = &iov[i]
		in[i].hdr.SetIovlen(1)
		in[i].hdr.Name = (*byte)(unsafe.Pointer(&from[i]))
		out[i].hdr.Name = (*byte)(unsafe.Pointer(&from[i]))
		out[i].hdr.Iov = &iov[i] // the answer is the query, edited in place
		out[i].hdr.SetIovlen(1)
	}
	recv := func(fd uintptr) bool {
		for i := range in {
			iov[i].SetLen(len(bufs[i]))
			in[i].hdr.Namelen = uint32(unsafe.Sizeof(from[i]))
		}
		n, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&in[0])), batchSize, unix.MSG_DONTWAIT, 0, 0)
		if e == unix.EAGAIN || e == unix.EINTR {
			return false
		}
		got = int(n)
		if e != 0 {
			got = 0
		}
		return true
	}
	send := func(fd uintptr) bool {
		_, _, e := unix.RawSyscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&out[0])), uintptr(got), unix.MSG_DONTWAIT, 0, 0)
		return e != unix.EAGAIN
	}
	for {
		if err := rc.Read(recv); err != nil {
			log.Fatal(err)
		}
		for i := 0; i < got; i++ {
			n := int(in[i].n)
			if n >= 4 {
				bufs[i][2] |= 0x80               // QR
				bufs[i][3] = bufs[i][3]&0xF0 | 3 // NXDOMAIN
			}
			iov[i].SetLen(n)
			out[i].hdr.Namelen = in[i].hdr.Namelen
		}
		if got > 0 {
			if err := rc.Write(send); err != nil {
				log.Fatal(err)
			}
		}
	}
}
