package httpapi

import (
	"bytes"
	_ "embed" // for the vendored Redoc bundle
	"html/template"
	"net/http"

	"github.com/labstack/echo/v4"
)

// RedocVersion is the version of the vendored Redoc bundle in assets/
// (npm redoc, bundles/redoc.standalone.js; MIT, see assets/REDOC_LICENSE).
const RedocVersion = "2.5.4"

// RedocJSPath is where RedocJS is expected to be mounted; DocsPage loads it from there.
const RedocJSPath = "/docs/redoc.standalone.js"

//go:embed assets/redoc.standalone.js
var redocJS []byte

// RedocLicense is the licence of the vendored Redoc bundle; the licences of
// the libraries bundled into it are in RedocThirdPartyLicenses.
//
//go:embed assets/REDOC_LICENSE
var RedocLicense string

// RedocThirdPartyLicenses holds the licence notices of the libraries that
// the Redoc bundle contains.
//
//go:embed assets/redoc.standalone.js.LICENSE.txt
var RedocThirdPartyLicenses string

// docsTheme makes Redoc use the fonts the reader's system has, so that the
// page needs no web fonts at all.
const docsTheme = `{"typography":{"fontFamily":"system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'PingFang SC', 'Microsoft YaHei', sans-serif",` +
	`"headings":{"fontFamily":"system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'PingFang SC', 'Microsoft YaHei', sans-serif"},` +
	`"code":{"fontFamily":"ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace"}}}`

var docsTemplate = template.Must(template.New("docs").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>AgentDesk API</title>
<style>body{margin:0;padding:0}</style>
</head>
<body>
<redoc spec-url="{{.SpecURL}}" theme="{{.Theme}}"></redoc>
<script src="{{.ScriptURL}}"></script>
</body>
</html>
`))

// DocsPage returns the HTML page that renders the spec at specURL (a path on
// this server, such as "/openapi.yaml") with the vendored Redoc. The page
// refers to nothing outside the server's origin.
func DocsPage(specURL string) []byte {
	var buf bytes.Buffer
	err := docsTemplate.Execute(&buf, struct{ SpecURL, Theme, ScriptURL string }{specURL, docsTheme, RedocJSPath})
	if err != nil {
		// The template and its inputs are fixed strings: this cannot fail.
		panic(err)
	}
	return buf.Bytes()
}

// DocsHandler serves DocsPage(specURL).
func DocsHandler(specURL string) echo.HandlerFunc {
	page := DocsPage(specURL)
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-cache")
		return c.Blob(http.StatusOK, echo.MIMETextHTMLCharsetUTF8, page)
	}
}

// RedocJS serves the vendored Redoc bundle at RedocJSPath. Its content
// changes only with RedocVersion, which is its ETag; browsers keep it for a
// week and revalidate it after that.
func RedocJS(c echo.Context) error {
	h := c.Response().Header()
	h.Set(echo.HeaderCacheControl, "public, max-age=604800")
	h.Set("ETag", `"redoc-`+RedocVersion+`"`)
	if match := c.Request().Header.Get("If-None-Match"); match == `"redoc-`+RedocVersion+`"` {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", redocJS)
}
