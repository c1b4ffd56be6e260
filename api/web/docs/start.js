// Starts Swagger UI on this server's own OpenAPI document. A file, not an inline
// script: the page's Content-Security-Policy allows scripts from this origin only.
// validatorUrl null: the default would send the document to a public validator.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
