package report

import (
	"sort"
	"time"

	"queuebox/server/queue"
)

// HourLoad is what one hour of a weekday asked of a service, averaged over
// the days of history that had any ticket on that weekday.
type HourLoad struct {
	Hour      int
	ServiceID string
	Arrivals  float64 // tickets issued per such hour
	// ServiceSeconds is the mean service time of the hour's served tickets
	// (0 when none was served).
	ServiceSeconds float64
	WalkOutShare   float64
	// Open is the mean number of counters that called anyone in the hour.
	Open float64
}

// WeekdayLoad learns each hour's load of a weekday (queue.Days index) from
// records, per service, and how many counters were at work. days is the
// number of such weekdays with any ticket.
func WeekdayLoad(recs []Record, loc *time.Location, weekday time.Weekday) (loads []HourLoad, days int) {
	type key struct {
		hour int
		svc  string
	}
	type acc struct {
		issued, walk, served int
		svcSum               int
	}
	accs := map[key]*acc{}
	dates := map[string]bool{}
	counters := map[int]map[string]bool{} // hour → "date/counter"
	for i := range recs {
		r := &recs[i]
		t := time.UnixMilli(r.Issued).In(loc)
		if t.Weekday() != weekday {
			continue
		}
		dates[r.Date] = true
		k := key{t.Hour(), r.ServiceID}
		a := accs[k]
		if a == nil {
			a = &acc{}
			accs[k] = a
		}
		a.issued++
		if r.WalkOut {
			a.walk++
		}
		if s, ok := r.ServiceSeconds(); ok {
			a.served++
			a.svcSum += s
		}
		if r.Called != 0 && r.CounterID != "" {
			ct := time.UnixMilli(r.Called).In(loc)
			if ct.Weekday() == weekday {
				if counters[ct.Hour()] == nil {
					counters[ct.Hour()] = map[string]bool{}
				}
				counters[ct.Hour()][ct.Format(time.DateOnly)+"/"+r.CounterID] = true
			}
		}
	}
	days = len(dates)
	if days == 0 {
		return nil, 0
	}
	for k, a := range accs {
		l := HourLoad{Hour: k.hour, ServiceID: k.svc, Arrivals: float64(a.issued) / float64(days),
			WalkOutShare: float64(a.walk) / float64(a.issued), Open: float64(len(counters[k.hour])) / float64(days)}
		if a.served > 0 {
			l.ServiceSeconds = float64(a.svcSum) / float64(a.served)
		}
		loads = append(loads, l)
	}
	sort.Slice(loads, func(i, j int) bool {
		if loads[i].Hour != loads[j].Hour {
			return loads[i].Hour < loads[j].Hour
		}
		return loads[i].ServiceID < loads[j].ServiceID
	})
	return loads, days
}

// Weekday finds a weekday by its settings key (mon, tue, …).
func Weekday(key string) (time.Weekday, bool) {
	for i, d := range queue.Days {
		if d == key {
			return time.Weekday(i), true
		}
	}
	return 0, false
}
