package blocklist

// Names are stored as 64-bit hashes of their labels read right to left, so
// one pass over a query name yields the key of every suffix ("com",
// "example.com", "www.example.com") without building substrings, lowering the
// case on the fly. With a million entries the chance that any lookup meets a
// false match is about 2^-40; the cost of one is a wrongly blocked name.

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// lowerByte folds ASCII upper case; names are ASCII once in punycode.
func lowerByte(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// finalize spreads the FNV state over all 64 bits (the splitmix64 finaliser):
// the table index is taken from the high bits, which plain FNV mixes poorly.
// Zero marks an empty slot, so it is never returned.
func finalize(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	if h == 0 {
		return 1
	}
	return h
}

// nameKey is the key of a whole normalised name, as suffixKeys computes it
// for the longest suffix.
func nameKey(name string) uint64 {
	h := uint64(fnvOffset)
	for i := len(name) - 1; i >= 0; i-- {
		h = (h ^ uint64(lowerByte(name[i]))) * fnvPrime
	}
	return finalize(h)
}
