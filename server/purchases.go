package server

import (
	"github.com/labstack/echo/v4"
)

// postPurchaseByPhone records a till's purchase by the customer's phone
// number, the one thing a till knows of a customer: a till (device kind
// pos) may post purchases but not look customers up, so it could never
// learn the id that POST /customers/{id}/purchases needs. A new phone makes
// a customer, as the CSV import does; the answer is the same as there.
func (s *Server) postPurchaseByPhone(c echo.Context) error {
	var req struct {
		purchaseIn
		customerIn
	}
	if err := bind(c, &req); err != nil {
		return err
	}
	phone, name, err := s.phoneAndName(req.customerIn)
	if err != nil {
		return err
	}
	// A bad purchase is refused before a customer is made for it.
	p, err := s.parsePurchase(req.purchaseIn)
	if err != nil {
		return err
	}
	cu, _, err := s.findOrCreate(phone, name, s.clock.Now(), who(c).source())
	if err != nil {
		return err
	}
	return s.addPurchase(c, cu.ID, p)
}
