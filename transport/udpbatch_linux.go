//go:build linux

package transport

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// batchSize is how many datagrams one recvmmsg or sendmmsg moves at most.
// Under load the socket queue holds many queries, and on a virtual machine
// a system call costs more than answering a cache hit: reading and writing
// them in batches is what brings the CPU time per query below one read and
// one write each.
const batchSize = 32

// mmsghdr is struct mmsghdr: a msghdr and the byte count the kernel returns.
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
}

// batch holds the buffers of one recvmmsg and one sendmmsg, allocated once
// per socket. Datagram buffers are full-size, as miekg's server reads them;
// the pages of their unused tails are never touched.
type batch struct {
	rc   syscall.RawConn
	in   [batchSize]mmsghdr
	iov  [batchSize]unix.Iovec
	bufs [batchSize][]byte
	from [batchSize]unix.RawSockaddrInet6 // large enough for either family
	outs [batchSize][]byte                // answer buffers, one per query
	ctrl [batchSize]ctrl                  // packet info (destination) per datagram, on a wildcard address

	out     [batchSize]mmsghdr
	outIov  [batchSize]unix.Iovec
	outCtrl [batchSize]ctrl // the source each answer leaves from, on a wildcard address
	queued  int
	pktinfo bool   // a wildcard address: read and answer with packet info
	reply   ctrl   // the current datagram's answer's packet info...
	oob     []byte // ...as much of it as is set; empty for none

	got, sent int // results of the last call, set by the bound functions
	errno     syscall.Errno
	cur       int // the datagram being answered

	recvFn, sendFn func(fd uintptr) bool
}

// batchable reports whether the loop can use recvmmsg/sendmmsg: on Linux,
// always. On a wildcard address each datagram carries its destination
// (IP_PKTINFO, IPV6_PKTINFO) and each answer is sent from it.
func (l *udpLoop) batchable() bool { return true }

func (l *udpLoop) serveBatch() error {
	rc, err := l.conn.SyscallConn()
	if err != nil {
		return fmt.Errorf("udp %s: %w", l.conn.LocalAddr(), err)
	}
	b := &batch{rc: rc, pktinfo: l.wildcard}
	for i := range b.in {
		b.bufs[i] = make([]byte, len(l.in))
		b.outs[i] = make([]byte, 0, 4096)
		b.iov[i].Base = &b.bufs[i][0]
		b.in[i].hdr.Iov = &b.iov[i]
		b.in[i].hdr.SetIovlen(1)
		b.in[i].hdr.Name = (*byte)(unsafe.Pointer(&b.from[i]))
		b.out[i].hdr.Iov = &b.outIov[i]
		b.out[i].hdr.SetIovlen(1)
	}
	b.recvFn, b.sendFn = b.recv, b.send
	l.send = func(p []byte) error { b.queue(p); return nil } // once per socket
	for {
		n, err := b.read()
		if err != nil {
			if ok, err := l.readFailed(err); ok {
				return err
			}
			continue
		}
		// One clock reading for the batch: on a VM it costs as much as a
		// map lookup, and every datagram in it arrived by now.
		l.received = time.Now()
		for i := 0; i < n; i++ {
			b.cur = i
			l.peer = b.peer(i)
			l.out = b.outs[i][:0]
			if b.pktinfo {
				b.setReply(i, l.peer)
				l.oob = b.oob // for a query resumed on its own goroutine
			}
			l.handle(b.bufs[i][:b.in[i].n])
		}
		if err := b.flush(); err != nil {
			l.log.Debug("sendmmsg: " + err.Error())
		}
	}
}

func (b *batch) read() (int, error) {
	for i := range b.in {
		b.iov[i].SetLen(len(b.bufs[i]))
		b.in[i].hdr.Namelen = uint32(unsafe.Sizeof(b.from[i]))
		b.in[i].hdr.Flags = 0
		if b.pktinfo {
			b.in[i].hdr.Control = &b.ctrl[i].bytes()[0]
			b.in[i].hdr.SetControllen(ctrlSize)
		}
	}
	if err := b.rc.Read(b.recvFn); err != nil {
		return 0, err
	}
	if b.errno != 0 {
		return 0, b.errno
	}
	return b.got, nil
}

// recv is the RawConn read function, bound once so it costs no allocation.
func (b *batch) recv(fd uintptr) bool {
	n, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&b.in[0])), batchSize, unix.MSG_DONTWAIT, 0, 0)
	if e == unix.EAGAIN || e == unix.EINTR {
		return false // the poller waits until the socket is readable
	}
	b.got, b.errno = int(n), e
	return true
}

// peer decodes the source address of datagram i.
func (b *batch) peer(i int) netip.AddrPort {
	sa := &b.from[i]
	port := binary.BigEndian.Uint16((*[2]byte)(unsafe.Pointer(&sa.Port))[:])
	if sa.Family == unix.AF_INET {
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), port)
	}
	return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), port)
}

// setReply sets oob to the packet info that sends the answer to datagram
// i from the address it was sent to.
func (b *batch) setReply(i int, peer netip.AddrPort) {
	in := b.ctrl[i].bytes()[:min(int(b.in[i].hdr.Controllen), ctrlSize)]
	b.oob = b.reply.bytes()[:replyPktinfo(in, &b.reply, peer.Addr().Is4() || peer.Addr().Is4In6())]
}

// queue adds the answer to the current datagram to the send batch.
func (b *batch) queue(p []byte) {
	i := b.queued
	b.outIov[i].Base = nil
	if len(p) > 0 {
		b.outIov[i].Base = &p[0]
	}
	b.outIov[i].SetLen(len(p))
	b.out[i].hdr.Name = b.in[b.cur].hdr.Name
	b.out[i].hdr.Namelen = b.in[b.cur].hdr.Namelen
	b.out[i].hdr.Control, b.out[i].hdr.Controllen = nil, 0
	if b.pktinfo && len(b.oob) > 0 {
		n := copy(b.outCtrl[i].bytes(), b.oob)
		b.out[i].hdr.Control = &b.outCtrl[i].bytes()[0]
		b.out[i].hdr.SetControllen(n)
	}
	b.queued++
}

// flush sends the queued answers in as few sendmmsg calls as the kernel
// takes. An answer the kernel refuses is skipped, not the ones after it;
// the last such error is returned.
func (b *batch) flush() error {
	defer func() { b.queued = 0 }()
	var last error
	for b.sent = 0; b.sent < b.queued; {
		if err := b.rc.Write(b.sendFn); err != nil {
			return err
		}
		if b.errno != 0 {
			last = b.errno
			b.sent++
		}
	}
	return last
}

func (b *batch) send(fd uintptr) bool {
	n, _, e := unix.RawSyscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&b.out[b.sent])), uintptr(b.queued-b.sent), unix.MSG_DONTWAIT, 0, 0)
	if e == unix.EAGAIN || e == unix.EINTR {
		return false // the poller waits until the socket is writable
	}
	b.errno = e
	if e == 0 {
		b.sent += int(n)
	}
	return true
}
