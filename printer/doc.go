// Package printer prints queue tickets on ESC/POS receipt printers.
//
// It has three layers, each usable on its own:
//
//   - an ESC/POS [Encoder] and the ticket layout ([Encode]) that turn a
//     [Ticket] into the bytes a 58 mm or 80 mm printer understands, with
//     Chinese text in GBK and the status QR code as a raster image (or the
//     printer's own QR command);
//   - transports ([NewTransport]) that carry one job to a network printer
//     (tcp://host:9100) or a device file (file:///dev/usb/lp0);
//   - a print [Queue] with one goroutine that owns the printer, asks it for
//     its status before each job, backs off while it is offline and drops
//     jobs nobody is waiting for any more.
//
// Issuing a ticket must never wait for paper: [Queue.Submit] only records
// the job, so a jammed or unplugged printer cannot stall the kiosk. The
// price is that printing is best effort, and [Queue.Status] is how staff
// learn that the printer needs them.
//
// The package imports no other package of queuebox, so the server, the
// command line and tests can all use it without pulling in the rest.
// Package printertest provides a fake network printer for tests.
package printer
