// Starts ReDoc on /redoc from the vendored bundle (api/web/vendor/, an ES module), with its usage reporting off:
// the API may run on a closed network, and the CSP would block the report anyway.
import { init } from "./vendor/redoc.standalone.js";

const root = document.getElementById("redoc");
init(root.dataset.openapi, { disableTelemetry: true }, root);
