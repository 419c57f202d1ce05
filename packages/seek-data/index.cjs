"use strict";
module.exports = require("./build/Release/seek_data.node");
