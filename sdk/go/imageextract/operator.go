package imageextract

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"quarry.local/sdk/operator"
)

// Options of the operator; zero values take the defaults.
type Options struct {
	ImageDAG        string // DAG that image-link children enter; default image-ingest
	PageDAG         string // DAG that page-link children enter; default page-ingest
	MaxImages       int    // default 500
	MaxLinks        int    // default 200 (0 is allowed through NoLinks)
	NoLinks         bool
	DefaultMaxDepth int // used when the item's source has no maxDepth; default 2
}

// MaxPageBytes bounds the html input (INPUT_TOO_LARGE above it).
const MaxPageBytes = 32 << 20

// New is the image-extract operator: the same Describe as its TypeScript twin.
func New(o Options) (operator.Operator, error) {
	if o.ImageDAG == "" {
		o.ImageDAG = "image-ingest"
	}
	if o.PageDAG == "" {
		o.PageDAG = "page-ingest"
	}
	if o.MaxImages == 0 {
		o.MaxImages = 500
	}
	if o.MaxLinks == 0 && !o.NoLinks {
		o.MaxLinks = 200
	}
	if o.DefaultMaxDepth == 0 {
		o.DefaultMaxDepth = 2
	}
	if o.MaxImages < 1 || o.MaxLinks < 0 || o.DefaultMaxDepth < 0 {
		return operator.Operator{}, fmt.Errorf("image-extract options: MaxImages must be ≥ 1, MaxLinks and DefaultMaxDepth ≥ 0 (got %d, %d, %d)", o.MaxImages, o.MaxLinks, o.DefaultMaxDepth)
	}
	return operator.Operator{
		Name:        "image-extract",
		Version:     "1.1.0",
		Description: "Finds the images and same-site links of an HTML page and fans out child items for them.",
		Resource:    "cpu",
		Inputs: []operator.Field{
			operator.JSON[string]("finalUrl", "the page URL after redirects (resolves relative URLs)"),
			operator.Blob("html", "the page as UTF-8", operator.MaxBytes(MaxPageBytes)),
		},
		Outputs: []operator.Field{
			operator.JSON[[]Image]("images", "image links in document order, deduplicated"),
			operator.JSON[[]string]("pageLinks", "same-site page links, deduplicated"),
			operator.JSON[string]("canonicalUrl", "the page's <link rel=\"canonical\">, resolved", operator.Optional()),
		},
		Handler: func(ctx context.Context, it *operator.Item) (operator.Outputs, error) {
			finalURL := it.String("finalUrl")
			if u, err := url.Parse(finalURL); err != nil || u.Scheme == "" {
				return nil, operator.Filtered("bad-url")
			}
			doc, err := Parse(it.Blob("html"))
			if err != nil {
				return nil, err
			}
			base := BaseURLOf(doc, finalURL)
			images := FindImages(doc, base, o.MaxImages)
			links := FindPageLinks(doc, base, finalURL, o.MaxLinks)
			for _, img := range images {
				it.Emit(operator.Child{ItemKey: img.URL, DAG: o.ImageDAG, Source: map[string]string{"url": img.URL, "pageUrl": finalURL}})
			}
			depth := intOr(it.Trigger.Source, "depth", 0)
			maxDepth := intOr(it.Trigger.Source, "maxDepth", o.DefaultMaxDepth)
			if depth < maxDepth {
				for _, u := range links {
					it.Emit(operator.Child{ItemKey: u, DAG: o.PageDAG, Source: map[string]string{"url": u, "depth": strconv.Itoa(depth + 1), "maxDepth": strconv.Itoa(maxDepth)}})
				}
			}
			out := operator.Outputs{"images": images, "pageLinks": links}
			if canonical, ok := CanonicalOf(doc, base); ok {
				out["canonicalUrl"] = canonical
			}
			return out, ctx.Err()
		},
	}, nil
}

// intOr reads source[key] as a non-negative integer the way JavaScript's Number() does (an empty
// value is 0), else the fallback (absent, negative, fractional or not a number).
func intOr(source map[string]string, key string, fallback int) int {
	value, present := source[key]
	if !present {
		return fallback
	}
	v := strings.TrimSpace(value)
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f != float64(int(f)) {
		return fallback
	}
	return int(f)
}
