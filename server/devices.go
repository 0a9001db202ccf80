package server

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"queuebox/server/access"
	"queuebox/server/live"
	"queuebox/server/store"
)

type deviceOut struct {
	ID         string            `json:"id"`
	Kind       access.DeviceKind `json:"kind"`
	Name       string            `json:"name"`
	Token      string            `json:"token,omitempty"`
	PairingURL string            `json:"pairing_url,omitempty"`
	Revoked    bool              `json:"revoked,omitempty"`
	PrinterURL string            `json:"printer_url,omitempty"`
}

func newDeviceOut(d store.Device) deviceOut {
	return deviceOut{ID: d.ID, Kind: access.DeviceKind(d.Kind), Name: d.Name, Revoked: d.Revoked, PrinterURL: d.PrinterURL}
}

func (s *Server) postDevice(c echo.Context) error {
	var req struct {
		Kind string `json:"kind"`
		Name string `json:"name"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	kind, err := access.ParseDeviceKind(req.Kind)
	if err != nil {
		return err
	}
	if err := access.CheckDeviceName(req.Name); err != nil {
		return err
	}
	d, tok, err := s.createDevice(kind, req.Name)
	if err != nil {
		return err
	}
	out := newDeviceOut(d)
	out.Token, out.PairingURL = tok, s.pairingURL(kind, tok)
	return c.JSON(http.StatusCreated, out)
}

func (s *Server) createDevice(kind access.DeviceKind, name string) (store.Device, string, error) {
	tok := randomToken(24)
	d := store.Device{ID: randomToken(6), Kind: kind.String(), Name: name, TokenHash: hashToken(tok), CreatedAt: s.clock.Now()}
	return d, tok, s.db.PutDevice(d)
}

// pairingURL is the page a kiosk or display opens once to pair. A till (pos)
// has no page: it sends its token as a bearer header, so it gets none.
func (s *Server) pairingURL(kind access.DeviceKind, tok string) string {
	if kind == access.POS {
		return ""
	}
	return s.publicURL + "/" + kind.String() + "/?device=" + tok
}

func (s *Server) listDevices(c echo.Context) error {
	ds, err := s.db.Devices()
	if err != nil {
		return err
	}
	out := make([]deviceOut, 0, len(ds))
	for _, d := range ds {
		out = append(out, newDeviceOut(d))
	}
	return c.JSON(http.StatusOK, out)
}

// putDevice renames a device or sets the printer its tickets go to ("" =
// the branch's printer).
func (s *Server) putDevice(c echo.Context) error {
	var req struct {
		Name       *string `json:"name"`
		PrinterURL *string `json:"printer_url"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	d, err := s.db.Device(c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		return errUnknownDevice
	} else if err != nil {
		return err
	}
	if req.Name != nil {
		if err := access.CheckDeviceName(*req.Name); err != nil {
			return err
		}
		d.Name = *req.Name
	}
	if req.PrinterURL != nil {
		if *req.PrinterURL != "" {
			if err := s.checkPrinterURL(*req.PrinterURL); err != nil {
				return err
			}
		}
		d.PrinterURL = *req.PrinterURL
	}
	if err := s.db.PutDevice(d); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, newDeviceOut(d))
}

func (s *Server) deleteDevice(c echo.Context) error {
	d, err := s.db.Device(c.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		return errUnknownDevice
	} else if err != nil {
		return err
	}
	d.Revoked = true
	if err := s.db.PutDevice(d); err != nil {
		return err
	}
	s.endSockets(access.EndDeviceRevoked, func(o live.Owner) bool { return o.Device == d.ID })
	return c.NoContent(http.StatusNoContent)
}

// getDevice tells a kiosk which device it is (and that its token still works).
func (s *Server) getDevice(c echo.Context) error {
	id := who(c)
	if id.device == nil {
		return errForbidden.with("this is not a device")
	}
	return c.JSON(http.StatusOK, newDeviceOut(*id.device))
}
