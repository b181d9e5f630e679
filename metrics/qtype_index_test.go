package metrics

import "testing"

func TestQTypeIndex(t *testing.T) {
	if len(qtypeLabels)+1 != QTypeCount {
		t.Fatalf("QTypeCount %d, want %d", QTypeCount, len(qtypeLabels)+1)
	}
	for _, qt := range []uint16{0, 1, 28, 65, 255, 257, 259, 260, 4096, 65535} {
		if got, want := QTypeName(QTypeIndex(qt)), QType(qt); got != want {
			t.Errorf("qtype %d: label %q via index, %q via QType", qt, got, want)
		}
	}
}
