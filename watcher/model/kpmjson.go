package model

import (
	"errors"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// MarshalJSON writes r exactly as the KPM ingest API takes a report (POST
// /api/v1/kpm/reports, decoded by ingest/kpm.DecodeReports), so a recorded
// report can be pushed or replayed again:
//
//	{"nodeId":"gnb-001","cellId":"cell-1","collectStartTime":"2025-01-01T00:00:00.123456789Z",
//	 "granularityPeriodMs":1000,"measurements":[{"name":"RRU.PrbUsedDl","value":42}]}
//
// collectStartTime is RFC 3339 in UTC with the nanoseconds (trailing zeros
// dropped); granularityPeriodMs is the period in whole milliseconds
// (rounded, at least 1) and is left out when the period is not positive,
// as the API reads a missing one; measurements is never null. A value that
// is not a finite number is written as null, which the API reads as "no
// value" (JSON has no NaN). ReceivedAt is not part of it: the receiver sets
// it. Values are written as encoding/json writes a float64, so they read
// back unchanged.
func (r KPMReport) MarshalJSON() ([]byte, error) {
	start := r.CollectStart.UTC()
	if y := start.Year(); y < 0 || y > 9999 {
		return nil, errors.New("KPMReport.MarshalJSON: collectStartTime year outside [0,9999]")
	}
	b := make([]byte, 0, 128+40*len(r.Measurements))
	b = append(b, `{"nodeId":`...)
	b = appendString(b, r.NodeID)
	b = append(b, `,"cellId":`...)
	b = appendString(b, r.CellID)
	b = append(b, `,"collectStartTime":"`...)
	b = start.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	if r.GranularityPeriod > 0 {
		ms := max(1, int64((r.GranularityPeriod+time.Millisecond/2)/time.Millisecond))
		b = append(b, `,"granularityPeriodMs":`...)
		b = strconv.AppendInt(b, ms, 10)
	}
	b = append(b, `,"measurements":`...)
	b = AppendMeasurementsJSON(b, r.Measurements)
	return append(b, '}'), nil
}

// AppendMeasurementsJSON appends ms in the ingest API's form,
// [{"name":"RRU.PrbUsedDl","value":42},...], without white space, as
// encoding/json would write it; a value that is not finite becomes null
// (no value).
func AppendMeasurementsJSON(b []byte, ms []Measurement) []byte {
	b = append(b, '[')
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = appendString(b, m.Name)
		b = append(b, `,"value":`...)
		b = appendFloat(b, m.Value)
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendFloat appends f as encoding/json writes a float64; null when f is
// not finite.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // e-07 -> e-7, as encoding/json
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD,
// as encoding/json does.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
