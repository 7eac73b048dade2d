// otlp-decode reads one OTLP ExportTraceServiceRequest as protobuf bytes on
// stdin and writes it as protojson on stdout, using the official generated
// types, so that tests can check our encoder against the real schema. A field
// number the schema does not know is an error, not silently kept: a typo in a
// field number would otherwise decode "fine".
package main

import (
	"fmt"
	"io"
	"os"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

func main() {
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("reading stdin: %v", err)
	}
	var request coltracepb.ExportTraceServiceRequest
	// DiscardUnknown false keeps unknown fields so that checkUnknown sees them.
	if err := (proto.UnmarshalOptions{DiscardUnknown: false}).Unmarshal(input, &request); err != nil {
		fail("not a valid ExportTraceServiceRequest (%d bytes): %v", len(input), err)
	}
	if err := checkUnknown(request.ProtoReflect(), "ExportTraceServiceRequest"); err != nil {
		fail("%v", err)
	}
	output, err := protojson.MarshalOptions{UseProtoNames: false, EmitUnpopulated: false}.Marshal(&request)
	if err != nil {
		fail("protojson: %v", err)
	}
	if _, err := os.Stdout.Write(append(output, '\n')); err != nil {
		fail("writing stdout: %v", err)
	}
}

// checkUnknown fails on the first message, at any depth, that holds fields
// the schema has no number for; path names where, for the error message.
func checkUnknown(m protoreflect.Message, path string) error {
	if unknown := m.GetUnknown(); len(unknown) > 0 {
		number, wireType, n := protowire.ConsumeTag(unknown)
		if n < 0 {
			return fmt.Errorf("%s (%s): unreadable unknown field bytes", path, m.Descriptor().FullName())
		}
		return fmt.Errorf("%s (%s): field number %d (wire type %d) is not in the official schema",
			path, m.Descriptor().FullName(), number, wireType)
	}
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		name := path + "." + fd.JSONName()
		switch {
		case fd.IsList() && fd.Message() != nil:
			list := v.List()
			for i := 0; i < list.Len() && err == nil; i++ {
				err = checkUnknown(list.Get(i).Message(), fmt.Sprintf("%s[%d]", name, i))
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				err = checkUnknown(mv.Message(), fmt.Sprintf("%s[%v]", name, k.Interface()))
				return err == nil
			})
		case fd.Message() != nil && !fd.IsMap():
			err = checkUnknown(v.Message(), name)
		}
		return err == nil
	})
	return err
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "otlp-decode: "+format+"\n", args...)
	os.Exit(1)
}
