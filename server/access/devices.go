package access

import (
	"strings"

	"queuebox/server/queue"
)

// DeviceKind is what a paired device is; the kind decides what its token
// may do. It is stored and sent as its name.
type DeviceKind string

// The kinds of device a branch pairs.
const (
	// Kiosk issues tickets and checks appointments in, and prints.
	Kiosk DeviceKind = "kiosk"
	// Display shows the lobby screen. Its token sits in the page's address,
	// so it must not be able to issue anything.
	Display DeviceKind = "display"
	// POS is a till that reports customers' purchases.
	POS DeviceKind = "pos"
)

// ParseDeviceKind reads a device kind.
func ParseDeviceKind(s string) (DeviceKind, error) {
	switch k := DeviceKind(s); k {
	case Kiosk, Display, POS:
		return k, nil
	}
	return "", invalid("kind", `kind must be "kiosk", "display" or "pos" (a till that reports purchases)`)
}

// String is the kind's name.
func (k DeviceKind) String() string { return string(k) }

// MayIssue says whether the device issues tickets and checks customers in.
func (k DeviceKind) MayIssue() bool { return k == Kiosk }

// Prints says whether tickets the device issues go to a printer.
func (k DeviceKind) Prints() bool { return k == Kiosk }

// MayReportPurchases says whether the device reports customers' purchases.
func (k DeviceKind) MayReportPurchases() bool { return k == POS }

// Watched says whether the device is meant to be online all day, so that
// its silence during opening hours raises an alert. A till reports only
// when something is bought.
func (k DeviceKind) Watched() bool { return k == Kiosk || k == Display }

// MaxDeviceName is the longest name a device may have, in bytes.
const MaxDeviceName = 64

// CheckDeviceName refuses a name staff could not tell a device by, or one
// that would garble a page or log it is shown in.
func CheckDeviceName(name string) error {
	if strings.TrimSpace(name) == "" || len(name) > MaxDeviceName {
		return invalid("name", "name is required, at most %d characters", MaxDeviceName)
	}
	if p := queue.NameProblem(name); p != "" {
		return invalid("name", "name %s", p)
	}
	return nil
}
