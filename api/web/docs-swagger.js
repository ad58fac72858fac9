// Starts Swagger UI on /docs from the vendored bundle (api/web/vendor/): a file, not an inline script, so the
// Content-Security-Policy needs no exception. The settings are FastAPI's defaults, less the online validator.
const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: root.dataset.openapi,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
