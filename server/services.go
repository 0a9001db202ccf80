package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"queuebox/server/queue"
)

func (s *Server) listServices(c echo.Context) error {
	list := s.engine.Services()
	if !who(c).role.MaySeeStaffDetails() {
		list = publicServices(list)
	}
	return c.JSON(http.StatusOK, list)
}

func (s *Server) getService(c echo.Context) error {
	v, err := s.engine.Service(c.Param("id"))
	if err != nil {
		return err
	}
	if !who(c).role.MaySeeStaffDetails() {
		v = publicService(v)
	}
	return c.JSON(http.StatusOK, v)
}

// publicService is what customers' pages (and devices) may see of a
// service: the guide, the outcome codes and their labels are for staff only.
func publicService(v queue.ServiceView) queue.ServiceView {
	v.Guide, v.OutcomeCodes, v.OutcomeLabels = "", nil, nil
	return v
}

func publicServices(list []queue.ServiceView) []queue.ServiceView {
	out := make([]queue.ServiceView, len(list))
	for i, v := range list {
		out[i] = publicService(v)
	}
	return out
}

func (s *Server) postService(c echo.Context) error {
	var svc queue.Service
	if err := bind(c, &svc); err != nil {
		return err
	}
	v, err := s.engine.PutService(svc, true, who(c).source())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, v)
}

// putService changes a service: the fields the body names (see bindPatch).
func (s *Server) putService(c echo.Context) error {
	cur, err := s.engine.Service(c.Param("id"))
	if err != nil {
		return err
	}
	svc := cur.Service
	if err := bindPatch(c, &svc); err != nil {
		return err
	}
	if svc.ID == "" {
		svc.ID = c.Param("id")
	} else if svc.ID != c.Param("id") {
		return errInvalid.with("id in the body differs from the id in the path")
	}
	v, err := s.engine.PutService(svc, false, who(c).source())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

func (s *Server) deleteService(c echo.Context) error {
	if err := s.engine.DeleteService(c.Param("id"), who(c).source()); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
