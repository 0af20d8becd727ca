// The benchmark's coprocessor: Apollo Router's protocol at its simplest, as in Apollo's
// documentation: answer every stage request with the same JSON object (control "continue",
// nothing changed). plain node:http, one process. Usage: node coprocessor.mjs <port>
import http from "node:http";

const server = http.createServer((request, response) => {
  if (request.method === "GET") {
    response.writeHead(200, { "content-type": "application/json" });
    response.end('{"status":"UP"}');
    return;
  }
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    const payload = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    const body = JSON.stringify(payload);
    response.writeHead(200, { "content-type": "application/json" });
    response.end(body);
  });
});

server.keepAliveTimeout = 5000;
server.listen(Number(process.argv[2]), "127.0.0.1");
