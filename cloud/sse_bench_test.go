package cloud

import (
	"io"
	"strings"
	"testing"
)

// BenchmarkSSEReader parses a typical agent stream: connected, 50 chunks,
// done.
func BenchmarkSSEReader(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("event: connected\ndata: {\"rpcId\":1,\"timestamp\":1}\n\n")
	for i := 0; i < 50; i++ {
		sb.WriteString("event: chunk\ndata: {\"text\":\"a reasonably sized piece of an agent reply \"}\n\n")
	}
	sb.WriteString("event: done\ndata: {\"rpcId\":1,\"timestamp\":2}\n\n")
	stream := sb.String()
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r := NewSSEReader(strings.NewReader(stream))
		for {
			if _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}
