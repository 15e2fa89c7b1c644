// Serves the image-extract operator (Go) over gRPC.
//
//	quarry-image-extract --port 50062   # env QUARRY_IMAGE_DAG, QUARRY_PAGE_DAG, QUARRY_MAX_IMAGES, QUARRY_MAX_LINKS
package main

import (
	"fmt"
	"os"
	"strconv"

	"quarry.local/sdk/imageextract"
	"quarry.local/sdk/operator"
)

func main() {
	opts := imageextract.Options{ImageDAG: os.Getenv("QUARRY_IMAGE_DAG"), PageDAG: os.Getenv("QUARRY_PAGE_DAG")}
	if v := os.Getenv("QUARRY_MAX_IMAGES"); v != "" {
		opts.MaxImages, _ = strconv.Atoi(v)
	}
	if v := os.Getenv("QUARRY_MAX_LINKS"); v != "" {
		opts.MaxLinks, _ = strconv.Atoi(v)
		opts.NoLinks = opts.MaxLinks == 0
	}
	op, err := imageextract.New(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	reg := operator.NewRegistry()
	reg.MustRegister(op)
	operator.Main(reg)
}
