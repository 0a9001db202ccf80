// Package catalogtest reads the API's error catalogue (server/errors.go)
// from its source, for tests that must cover every code in it: a code added
// there without a test fails them.
package catalogtest

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
)

// Entry is one error of the catalogue.
type Entry struct {
	Code string
	// Status is the net/http constant's name, e.g. "StatusConflict".
	Status string
}

// Read lists the APIError literals of the Go file at path, in order.
func Read(path string) ([]Entry, error) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	var out []Entry
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.CompositeLit)
		if !ok {
			return true
		}
		if id, ok := lit.Type.(*ast.Ident); !ok || id.Name != "APIError" {
			return true
		}
		var e Entry
		for i, el := range lit.Elts {
			field, v := "", el
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				if k, ok := kv.Key.(*ast.Ident); ok {
					field = k.Name
				}
				v = kv.Value
			} else if i < 3 {
				field = []string{"Status", "Code", "Message"}[i] // APIError{Status, Code, Message}
			}
			switch x := v.(type) {
			case *ast.SelectorExpr:
				if field == "Status" {
					e.Status = x.Sel.Name
				}
			case *ast.BasicLit:
				if field == "Code" && x.Kind == token.STRING {
					e.Code, _ = strconv.Unquote(x.Value)
				}
			}
		}
		if e.Code != "" {
			out = append(out, e)
		}
		return true
	})
	if len(out) == 0 {
		return nil, fmt.Errorf("no error codes in %s", path)
	}
	return out, nil
}
