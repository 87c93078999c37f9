// Validate a .glb/.gltf file with the Khronos glTF-Validator (npm "gltf-validator") and print its report's
// summary as one line of JSON: {"numErrors", "numWarnings", "messages": [first 20 error/warning codes], "info"}.
// usage: NODE_PATH=<dir with node_modules> node gltf_validate.js FILE
"use strict";
const fs = require("fs");
const path = require("path");
const validator = require("gltf-validator");

const file = process.argv[2];
const data = new Uint8Array(fs.readFileSync(file));
validator
  .validateBytes(data, {
    uri: path.basename(file),
    externalResourceFunction: () => Promise.reject(new Error("no external resources")),
  })
  .then((report) => {
    const messages = report.issues.messages
      .filter((m) => m.severity <= 1)
      .slice(0, 20)
      .map((m) => `${m.code} ${m.pointer || ""} ${m.message}`);
    console.log(JSON.stringify({
      numErrors: report.issues.numErrors,
      numWarnings: report.issues.numWarnings,
      messages,
      info: report.info,
    }));
  })
  .catch((err) => {
    console.error(String(err));
    process.exit(2);
  });
