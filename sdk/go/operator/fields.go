package operator

import (
	"encoding/json"
	"fmt"
	"regexp"
)

// Kind is how a field travels: JSON text, raw blob bytes, or a blob reference (a JSON string).
type Kind string

const (
	KindJSON    Kind = "json"
	KindBlob    Kind = "blob"
	KindBlobRef Kind = "blob-ref"
)

// Field declares one input or output of an operator.
type Field struct {
	Name        string
	Kind        Kind
	Description string
	Optional    bool
	// Inputs only: larger values are refused with INPUT_TOO_LARGE (0 = no limit).
	MaxBytes uint64
	// check tells why a JSON value is not of the field's type (nil when it is).
	check func(raw []byte) error
}

// FieldOption adjusts a declared field.
type FieldOption func(*Field)

// Optional marks a field that may be absent.
func Optional() FieldOption { return func(f *Field) { f.Optional = true } }

// MaxBytes refuses input values larger than n bytes with INPUT_TOO_LARGE.
func MaxBytes(n uint64) FieldOption { return func(f *Field) { f.MaxBytes = n } }

// Check adds a validation of the decoded value (e.g. a range or a pattern).
func Check[T any](fn func(T) error) FieldOption {
	return func(f *Field) {
		prev := f.check
		f.check = func(raw []byte) error {
			if prev != nil {
				if err := prev(raw); err != nil {
					return err
				}
			}
			var v T
			if err := json.Unmarshal(raw, &v); err != nil {
				return err
			}
			return fn(v)
		}
	}
}

// JSON declares a JSON field whose value decodes into T (checked on the way in and out).
func JSON[T any](name, description string, opts ...FieldOption) Field {
	f := Field{Name: name, Kind: KindJSON, Description: description, check: strictDecode[T]}
	for _, o := range opts {
		o(&f)
	}
	return f
}

// Blob declares raw bytes ("processor input/output").
func Blob(name, description string, opts ...FieldOption) Field {
	f := Field{Name: name, Kind: KindBlob, Description: description}
	for _, o := range opts {
		o(&f)
	}
	return f
}

// BlobRef declares a blob reference: a string naming where a blob lives.
func BlobRef(name, description string, opts ...FieldOption) Field {
	f := Field{Name: name, Kind: KindBlobRef, Description: description, check: strictDecode[string]}
	for _, o := range opts {
		o(&f)
	}
	return f
}

func strictDecode[T any](raw []byte) error {
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		if te, ok := err.(*json.UnmarshalTypeError); ok {
			where := "value"
			if te.Field != "" {
				where = te.Field
			}
			return fmt.Errorf("%s must be %s, not %s", where, jsonTypeName(te.Type.Kind().String()), te.Value)
		}
		return err
	}
	return nil
}

func jsonTypeName(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	case "bool":
		return "a boolean"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	}
	return goKind
}

var (
	operatorName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)
	fieldName    = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]{0,62}$`)
)
