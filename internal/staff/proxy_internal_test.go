package staff

import "testing"

func TestLastForwardedFor(t *testing.T) {
	for _, c := range []struct {
		lines []string
		want  string
		ok    bool
	}{
		{nil, "", false},
		{[]string{""}, "", false},
		{[]string{"203.0.113.7"}, "203.0.113.7", true},
		{[]string{" 192.0.2.1 ,  203.0.113.7 "}, "203.0.113.7", true},
		{[]string{"192.0.2.1", "198.51.100.2, 203.0.113.7"}, "203.0.113.7", true},
		{[]string{"203.0.113.7:51234"}, "203.0.113.7", true},
		{[]string{"2001:DB8::1"}, "2001:db8::1", true},
		{[]string{"[2001:db8::1]:443"}, "2001:db8::1", true},
		{[]string{"::ffff:203.0.113.7"}, "203.0.113.7", true},
		{[]string{"fe80::1%eth0"}, "fe80::1", true},
		{[]string{"203.0.113.7, unknown"}, "", false},
		{[]string{"203.0.113.7,"}, "", false},
		{[]string{"evil.example"}, "", false},
	} {
		got, ok := lastForwardedFor(c.lines)
		if got != c.want || ok != c.ok {
			t.Errorf("lastForwardedFor(%q) = %q, %v; want %q, %v", c.lines, got, ok, c.want, c.ok)
		}
	}
}
