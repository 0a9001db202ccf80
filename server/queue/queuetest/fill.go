package queuetest

import (
	"math/rand/v2"
	"reflect"
	"time"
)

// Fill sets v (a pointer to a struct) to random values, leaving each field
// zero half of the time so that omitempty is met both ways. Fields named in
// skip stay zero at any depth. It knows every kind a ticket or an event may
// hold, so a field added to them later is filled too, and tests that compare
// two ways of writing or reading them fail until both know it.
func Fill(r *rand.Rand, v reflect.Value, skip map[string]bool) {
	v = v.Elem()
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if skip[f.Name] || r.IntN(2) == 0 {
			continue
		}
		fillValue(r, v.Field(i), skip)
	}
}

// Strings are the texts Fill picks from: escapes, other scripts, invalid
// UTF-8 and the characters JSON writers treat specially.
var Strings = []string{"", "A001", "general", "device:kiosk-1", "<b>&</b>", "quote \" back \\ slash",
	"tab\tnew\nline\r\b\f\x00\x1f", "排队 3 号窗口", "bad \xff utf8 \xe2\x82", "line\u2028para\u2029", "emoji 😀"}

// Times are the times Fill picks from: UTC, nanoseconds, other zones and
// the zero time.
var Times = []time.Time{
	time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC),
	time.Date(2026, 12, 7, 9, 30, 1, 123456789, time.UTC),
	time.Date(2026, 3, 29, 2, 30, 0, 500000000, time.FixedZone("CEST", 2*3600)),
	time.Date(1999, 1, 1, 0, 0, 0, 0, time.FixedZone("", -(9*3600+30*60))),
	{},
}

func fillValue(r *rand.Rand, f reflect.Value, skip map[string]bool) {
	if f.Type() == reflect.TypeFor[time.Time]() {
		f.Set(reflect.ValueOf(Times[r.IntN(len(Times))]))
		return
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(Strings[r.IntN(len(Strings))])
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		f.SetInt(r.Int64N(2000) - 1000)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		f.SetUint(r.Uint64N(1 << 40))
	case reflect.Bool:
		f.SetBool(true)
	case reflect.Float32, reflect.Float64:
		f.SetFloat(r.Float64())
	case reflect.Pointer:
		p := reflect.New(f.Type().Elem())
		fillValue(r, p.Elem(), skip)
		f.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(f.Type(), r.IntN(3), 3)
		for i := range s.Len() {
			fillValue(r, s.Index(i), skip)
		}
		f.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(f.Type())
		for range r.IntN(3) {
			k, e := reflect.New(f.Type().Key()).Elem(), reflect.New(f.Type().Elem()).Elem()
			fillValue(r, k, skip)
			fillValue(r, e, skip)
			m.SetMapIndex(k, e)
		}
		f.Set(m)
	case reflect.Struct:
		Fill(r, f.Addr(), skip)
	default:
		panic("fill: no filler for " + f.Type().String())
	}
}
