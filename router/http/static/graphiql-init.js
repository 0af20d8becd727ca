// Starts GraphiQL against the router's own endpoint. URL parameters `query`, `variables`,
// `headers` and `operationName` pre-fill the editors, so a link can share an operation.
// Subscriptions go over a WebSocket to the same endpoint (graphql-transport-ws); the headers
// editor's content is the connection_init payload, so {"Authorization": "Bearer ..."} signs
// the connection in.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  var endpoint = new URL(root.getAttribute("data-endpoint"), window.location.href).toString();
  var params = new URLSearchParams(window.location.search);
  var props = {
    fetcher: GraphiQL.createFetcher({
      url: endpoint,
      subscriptionUrl: endpoint.replace(/^http/, "ws"),
    }),
    defaultEditorToolsVisibility: true,
    shouldPersistHeaders: false,
  };
  ["query", "variables", "headers", "operationName"].forEach(function (name) {
    if (params.has(name)) {
      props[name] = params.get(name);
    }
  });
  ReactDOM.createRoot(root).render(React.createElement(GraphiQL, props));
})();
