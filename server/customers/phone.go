// Package customers holds the rules about the branch's customers: phone
// numbers in one form, tiers computed from what customers spend and how
// often they come (with the reason in words), and booking rights lost to
// no-shows. It is pure: no I/O, no wall clock; callers pass the time.
package customers

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// ErrPhone is an unusable phone number.
var ErrPhone = errors.New("not a phone number")

// NormalizePhone turns what people type (`138 0013 8000`, `+86 138-0013-8000`,
// `008613800138000`) into E.164 (`+8613800138000`), reading numbers without a
// country code as numbers of region (ISO 3166 code, e.g. "CN").
func NormalizePhone(raw, region string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", fmt.Errorf("%w: it is empty", ErrPhone)
	}
	if len(raw) > 40 {
		return "", fmt.Errorf("%w: it is too long", ErrPhone)
	}
	if region == "" {
		region = "ZZ"
	}
	num, err := phonenumbers.Parse(raw, strings.ToUpper(region))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrPhone, err)
	}
	if !phonenumbers.IsValidNumber(num) {
		return "", fmt.Errorf("%w: %q is not a valid number", ErrPhone, raw)
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// MaskPhone shows an E.164 number the way staff see it: the country code,
// the first three and the last four digits (`+86 138****8000`).
func MaskPhone(e164 string) string {
	num, err := phonenumbers.Parse(e164, "ZZ")
	if err != nil {
		return "****"
	}
	cc := fmt.Sprintf("+%d", num.GetCountryCode())
	nat := phonenumbers.GetNationalSignificantNumber(num)
	if len(nat) <= 7 {
		keep := len(nat) / 3
		return cc + " " + strings.Repeat("*", len(nat)-keep) + nat[len(nat)-keep:]
	}
	return cc + " " + nat[:3] + strings.Repeat("*", len(nat)-7) + nat[len(nat)-4:]
}

// ValidRegion reports whether region is a region the phone library knows.
func ValidRegion(region string) bool {
	return phonenumbers.GetCountryCodeForRegion(strings.ToUpper(region)) != 0
}
