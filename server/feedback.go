package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// postFeedback answers POST /status/{token}/feedback: the customer rates a
// done ticket from the phone status page, once.
func (s *Server) postFeedback(c echo.Context) error {
	var req struct {
		Rating  *int   `json:"rating"`
		Comment string `json:"comment"`
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	if req.Rating == nil {
		return errInvalid.with("rating is required: a whole number from 1 to 5")
	}
	if err := s.engine.Rate(c.Param("token"), *req.Rating, req.Comment); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"rating": *req.Rating})
}
