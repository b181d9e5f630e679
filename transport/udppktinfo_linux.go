//go:build linux

package transport

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// ctrlSize holds one IP_PKTINFO or IPV6_PKTINFO control message, and the
// other too on a dual-stack socket that asked for both.
const ctrlSize = 128

// ctrl is a control message buffer, uint64s so that the headers in it are
// aligned as the kernel writes them.
type ctrl [ctrlSize / 8]uint64

func (c *ctrl) bytes() []byte { return unsafe.Slice((*byte)(unsafe.Pointer(c)), ctrlSize) }

// replyPktinfo reads the destination of a datagram from its control
// messages (in, n bytes of them) and writes into out the control message
// that makes its answer leave from that address, as miekg's session
// helpers do: the source set, the interface left to routing. It returns
// the length written, 0 when in has no packet info. peer4 prefers
// IP_PKTINFO when the socket reported both.
func replyPktinfo(in []byte, out *ctrl, peer4 bool) int {
	var v4, v6 []byte
	for len(in) >= unix.SizeofCmsghdr {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&in[0]))
		l := int(h.Len)
		if l < unix.SizeofCmsghdr || l > len(in) {
			break
		}
		data := in[unix.SizeofCmsghdr:l]
		switch {
		case h.Level == unix.IPPROTO_IP && h.Type == unix.IP_PKTINFO && len(data) >= unix.SizeofInet4Pktinfo:
			v4 = data
		case h.Level == unix.IPPROTO_IPV6 && h.Type == unix.IPV6_PKTINFO && len(data) >= unix.SizeofInet6Pktinfo:
			v6 = data
		}
		next := unix.CmsgSpace(l - unix.SizeofCmsghdr)
		if next > len(in) {
			break
		}
		in = in[next:]
	}
	if v4 != nil && (peer4 || v6 == nil) {
		src := (*unix.Inet4Pktinfo)(unsafe.Pointer(&v4[0]))
		return putCmsg(out, unix.IPPROTO_IP, unix.IP_PKTINFO, unix.SizeofInet4Pktinfo, func(p unsafe.Pointer) {
			*(*unix.Inet4Pktinfo)(p) = unix.Inet4Pktinfo{Spec_dst: src.Addr}
		})
	}
	if v6 != nil {
		src := (*unix.Inet6Pktinfo)(unsafe.Pointer(&v6[0]))
		return putCmsg(out, unix.IPPROTO_IPV6, unix.IPV6_PKTINFO, unix.SizeofInet6Pktinfo, func(p unsafe.Pointer) {
			*(*unix.Inet6Pktinfo)(p) = unix.Inet6Pktinfo{Addr: src.Addr}
		})
	}
	return 0
}

func putCmsg(out *ctrl, level, typ int32, n int, fill func(unsafe.Pointer)) int {
	b := out.bytes()
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = level, typ
	h.SetLen(unix.CmsgLen(n))
	clear(b[unix.SizeofCmsghdr:unix.CmsgSpace(n)])
	fill(unsafe.Pointer(&b[unix.SizeofCmsghdr]))
	return unix.CmsgSpace(n)
}
