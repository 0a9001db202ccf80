package server

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"queuebox/assets"
	"queuebox/display"
	"queuebox/kiosk"
	"queuebox/server/access"
	"queuebox/server/console"
)

// routes declares every route of the box. The API contract is in
// ../shared/api-v1.md; extensions are listed in server/API.md.
func (s *Server) routes(e *echo.Echo) {
	e.GET("/healthz", s.healthz)

	anon := func(next echo.HandlerFunc) echo.HandlerFunc { return next }
	staff := need(access.RoleStaff)
	admin := need(access.RoleAdmin)

	api := newRouteGroup(e, "/api/v1", s.bodyLimit, s.sameOrigin, jsonOnly, s.identify)

	// Auth and setup.
	api.POST("/session", s.postSession, anon)
	api.DELETE("/session", s.deleteSession, anon)
	api.GET("/session", s.getSession, staff)
	api.GET("/users", s.listUsers, admin)
	api.POST("/users", s.postUser, admin)
	api.PUT("/users/:name", s.putUser, staff) // admins: anyone; staff: their own password
	api.GET("/devices", s.listDevices, admin)
	api.POST("/devices", s.postDevice, admin)
	api.PUT("/devices/:id", s.putDevice, admin)
	api.DELETE("/devices/:id", s.deleteDevice, admin)
	api.GET("/device", s.getDevice, staffOrDevice)
	api.GET("/devices/health", s.getDevicesHealth, staff)

	// Services, counters, settings.
	api.GET("/services", s.listServices, anon)
	api.GET("/services/:id", s.getService, anon)
	api.POST("/services", s.postService, admin)
	api.PUT("/services/:id", s.putService, admin)
	api.DELETE("/services/:id", s.deleteService, admin)
	api.GET("/counters", s.listCounters, staff)
	api.GET("/counters/:id", s.getCounter, staff)
	api.POST("/counters", s.postCounter, admin)
	api.PUT("/counters/:id", s.putCounter, admin)
	api.DELETE("/counters/:id", s.deleteCounter, admin)
	api.POST("/counters/:id/pause", s.pauseCounter(true), staff)
	api.POST("/counters/:id/resume", s.pauseCounter(false), staff)
	api.GET("/counters/:id/queue", s.counterQueue, staff)
	api.GET("/counters/:id/parked", s.counterParked, staff)
	api.GET("/settings", s.getSettings, anon)
	api.PUT("/settings", s.putSettings, admin)
	api.PUT("/special-days", s.putSpecialDays, admin)
	api.PUT("/notice", s.putNotice, staff)

	// Tickets and the queue.
	api.POST("/tickets", s.postTicket, staffOrKiosk)
	api.GET("/tickets", s.listTickets, staff)
	api.GET("/tickets/:id", s.getTicket, staff)
	api.POST("/tickets/:id/recall", s.ticketStep(s.engineRecall), staff)
	api.POST("/tickets/:id/start", s.ticketStep(s.engineStart), staff)
	api.POST("/tickets/:id/finish", s.finishTicket, staff)
	api.POST("/tickets/:id/park", s.ticketStep(s.engineParkStep), staff)
	api.POST("/tickets/:id/notes", s.noteTicket, staff)
	api.POST("/tickets/:id/no-show", s.ticketStep(s.engineNoShow), staff)
	api.POST("/tickets/:id/cancel", s.ticketStep(s.engineCancel), staff)
	api.POST("/tickets/:id/revert-no-show", s.revertTicketNoShow, staff)
	api.POST("/tickets/:id/transfer", s.transferTicket, staff)
	api.GET("/tickets/:id/print", s.ticketPrint, staffOrDevice)
	api.POST("/tickets/:id/print", s.reprintTicket, staff)
	api.GET("/printer", s.getPrinter, staff)
	api.GET("/queue", s.getQueue, staff)
	api.GET("/active", s.getActive, staff)
	api.GET("/estimates/accuracy", s.getAccuracy, staff)
	api.POST("/counters/:id/next", s.callNext, staff)
	api.POST("/counters/:id/seat", s.takeSeat, staff)
	api.DELETE("/seat", s.leaveSeat, staff)
	api.POST("/counters/:id/call", s.callByNumber, staff)
	api.GET("/status/:token", s.getStatus, anon)
	api.DELETE("/status/:token", s.deleteStatus, anon)
	api.POST("/status/:token/feedback", s.postFeedback, anon)

	// Appointments.
	api.GET("/slots", s.getSlots, anon)
	api.POST("/appointments", s.postAppointment, anon)
	api.GET("/appointments", s.listAppointments, staff)
	api.GET("/appointments/:code", s.getAppointment, anon)
	api.POST("/appointments/:code/cancel", s.cancelAppointment, anon)
	api.POST("/appointments/:code/move", s.moveAppointment, anon)
	api.GET("/appointments/:code/calendar.ics", s.appointmentICS, anon)
	api.POST("/appointments/:code/revert-no-show", s.revertAppointmentNoShow, staff)
	api.POST("/checkin", s.postCheckin, staffOrKiosk)

	// The box's clock.
	api.GET("/clock", s.getClock, staff)
	api.POST("/clock/confirm", s.confirmClock, admin)

	// Customers and tiers.
	api.POST("/customers", s.postCustomer, staff)
	api.GET("/customers", s.listCustomers, staff)
	api.POST("/customers/import", s.importCustomers, admin)
	api.GET("/customers/:id", s.getCustomer, staff)
	api.PUT("/customers/:id", s.putCustomer, admin)
	api.DELETE("/customers/:id", s.deleteCustomer, admin)
	api.GET("/customers/:id/export", s.exportCustomer, admin)
	api.POST("/customers/:id/forgive", s.forgiveCustomer, staff)
	api.POST("/customers/:id/purchases", s.postPurchase, adminOrPOS)
	api.POST("/purchases", s.postPurchaseByPhone, adminOrPOS)
	api.GET("/tiers", s.getTiers, staff)
	api.PUT("/tiers", s.putTiers, admin)

	// Reports, feedback and closing the day.
	api.GET("/reports/today", s.getToday, staff)
	api.GET("/reports/summary", s.getReportSummary, admin)
	api.GET("/reports/summary.csv", s.getReportSummaryCSV, admin)
	api.GET("/reports/tickets.csv", s.getTicketsCSV, admin)
	api.GET("/reports/heatmap", s.getReportHeatmap, admin)
	api.GET("/reports/comments", s.getComments, admin)
	api.GET("/reports/charts/:name", s.getReportChart, admin)
	api.GET("/reports/day-end", s.getDayEnd, admin)
	api.GET("/reports/staffing", s.getStaffing, admin)
	api.GET("/issuing", s.getIssuing, anon)
	api.PUT("/issuing", s.putIssuing, admin)
	api.POST("/queue/send-home", s.postSendHome, admin)

	// Live updates (websocket).
	api.GET("/live", s.liveWS, anon)

	// A QR code of short text (pairing URLs, booking codes).
	api.GET("/qr.png", s.qrPNG, anon)

	// Operations.
	api.GET("/events", s.listEvents, staff)
	api.GET("/backup", s.getBackup, admin)

	// Integrations: webhooks (server/webhooks.go) and metrics (server/metrics.go).
	api.POST("/webhooks", s.postWebhook, admin)
	api.GET("/webhooks", s.listWebhooks, admin)
	api.DELETE("/webhooks/:id", s.deleteWebhook, admin)
	api.GET("/webhooks/:id/deliveries", s.webhookDeliveries, admin)
	api.POST("/webhooks/:id/test", s.testWebhook, admin)
	e.GET("/metrics", s.getMetrics)

	// Pages. Customers' pages are public; staff pages need a session and
	// send anonymous visitors to the login page.
	e.GET("/", func(c echo.Context) error { return c.Redirect(http.StatusFound, "/console/") })
	e.GET("/assets/*", echo.WrapHandler(http.StripPrefix("/assets/", assets.Handler())))
	e.GET("/display/*", echo.WrapHandler(http.StripPrefix("/display/", display.Pages())))
	e.GET("/t/:token", echo.WrapHandler(display.StatusPage()))
	e.GET("/t/:token/qr.png", s.statusQR)
	e.GET("/kiosk/*", echo.WrapHandler(http.StripPrefix("/kiosk/", kiosk.Pages())))
	e.GET("/book/", echo.WrapHandler(kiosk.BookingPage()))
	e.GET("/login/", echo.WrapHandler(console.Login()))
	e.GET("/console/static/*", echo.WrapHandler(http.StripPrefix("/console/static/", console.Files())))
	e.GET("/console/", echo.WrapHandler(console.Console()), s.identify, pageNeed(access.RoleStaff))
	e.GET("/admin/", echo.WrapHandler(console.Admin()), s.identify, pageNeed(access.RoleAdmin))
	for _, p := range []string{"/display", "/kiosk", "/book", "/login", "/console", "/admin"} {
		e.GET(p, func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, c.Request().URL.Path+"/") })
	}

	// Anything else under the API is a JSON 404 (or 405), never a page.
	api.Any("/*", s.noAPIRoute)
	e.RouteNotFound("/*", func(c echo.Context) error { return errNotFound })
}

// noAPIRoute answers what no API route took: 405 when the path has a route
// for another method, else 404. (Echo's own 405 never fires here: the
// group's catch-all takes the request first.)
func (s *Server) noAPIRoute(c echo.Context) error {
	path := echo.GetPath(c.Request())
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		ctx := s.echo.NewContext(nil, nil)
		s.echo.Router().Find(m, path, ctx)
		if p := ctx.Path(); p != "" && !strings.HasSuffix(p, "*") {
			allow = append(allow, m)
			if m == http.MethodGet {
				allow = append(allow, http.MethodHead) // answered like GET
			}
		}
	}
	if len(allow) == 0 {
		return errNotFound
	}
	// A 405 says which methods the path takes (RFC 9110 asks for it).
	c.Response().Header().Set("Allow", strings.Join(allow, ", "))
	return errMethodNotAllowed
}
