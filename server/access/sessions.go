package access

import "time"

// SessionTTL is how long a login lasts: one working day with its overtime.
// A session does not slide: a counter PC left logged in asks again the
// next morning.
const SessionTTL = 12 * time.Hour

// SessionExpires is when a session opened at now ends.
func SessionExpires(now time.Time) time.Time { return now.Add(SessionTTL) }

// SessionLive says whether a session that ends at expires still holds at now.
func SessionLive(expires, now time.Time) bool { return !now.After(expires) }

// EndReason says why sessions (and the live sockets opened with them, or
// with a device's token) were ended. Pages see it as the close reason.
type EndReason string

// The reasons credentials stop holding.
const (
	EndLoggedOut     EndReason = "session ended"
	EndExpired       EndReason = "session expired"
	EndUserChanged   EndReason = "user changed"
	EndDeviceRevoked EndReason = "device revoked"
)

// SessionsAfterChange says whether changing a user from before to after
// ends the user's sessions: whoever held the old rights or password logs in
// again. keepCurrent says the session the change was made in stays: one
// changing their own password is not logged out by it.
func SessionsAfterChange(before, after Account, passwordChanged, self bool) (end, keepCurrent bool) {
	end = (after.Disabled && !before.Disabled) || after.Role != before.Role || passwordChanged
	return end, end && self
}
