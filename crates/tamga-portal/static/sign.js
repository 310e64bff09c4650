/* tamga portal script: signing in the browser with WebCrypto Ed25519.
   The private key is made in this browser, cannot be exported
   (extractable: false) and is kept in this origin's IndexedDB, one per
   user name; the server only ever sees the public key and signatures.

   Markup it works on (no inline script: the CSP forbids it):
   - <section data-keygen data-owner="NAME">: a button[data-keygen-make]
     makes (or shows) NAME's key; output[data-public-key] and
     output[data-key-id] show the public key (base64 of the 32 raw bytes)
     and its key id (first 16 hex digits of SHA-256 of that base64 text);
     input[data-public-key-field] (if any) is filled with the public key.
   - <form data-sign data-owner="NAME">: on submit, the exact text of its
     textarea[name=body] is signed; the signature (base64) goes into
     input[name=signature] and the key id into input[name=keyId]. Without
     a key the form is not sent and [data-sign-error] says why.
   - [data-copy-from="ID"] is not used; nothing else runs. */
(function () {
  "use strict";
  var DB = "tamga-keys", STORE = "keys";

  function db() {
    return new Promise(function (ok, fail) {
      var r = indexedDB.open(DB, 1);
      r.onupgradeneeded = function () { r.result.createObjectStore(STORE); };
      r.onsuccess = function () { ok(r.result); };
      r.onerror = function () { fail(r.error); };
    });
  }
  function get(owner) {
    return db().then(function (d) {
      return new Promise(function (ok, fail) {
        var r = d.transaction(STORE, "readonly").objectStore(STORE).get(owner);
        r.onsuccess = function () { ok(r.result || null); };
        r.onerror = function () { fail(r.error); };
      });
    });
  }
  function put(owner, pair) {
    return db().then(function (d) {
      return new Promise(function (ok, fail) {
        var t = d.transaction(STORE, "readwrite");
        t.objectStore(STORE).put(pair, owner);
        t.oncomplete = function () { ok(pair); };
        t.onerror = function () { fail(t.error); };
      });
    });
  }
  function b64(buf) {
    var s = "", a = new Uint8Array(buf);
    for (var i = 0; i < a.length; i++) { s += String.fromCharCode(a[i]); }
    return btoa(s);
  }
  function hex(buf) {
    return Array.prototype.map.call(new Uint8Array(buf), function (x) {
      return ("0" + x.toString(16)).slice(-2);
    }).join("");
  }
  function describe(pair) {
    return crypto.subtle.exportKey("raw", pair.publicKey).then(function (raw) {
      var pub = b64(raw);
      return crypto.subtle.digest("SHA-256", new TextEncoder().encode(pub)).then(function (h) {
        return { publicKey: pub, keyId: hex(h).slice(0, 16), pair: pair };
      });
    });
  }
  function keyOf(owner, make) {
    return get(owner).then(function (pair) {
      if (pair) { return describe(pair); }
      if (!make) { return null; }
      return crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"])
        .then(function (p) { return put(owner, p); })
        .then(describe);
    });
  }
  function show(section, k) {
    var pub = section.querySelector("[data-public-key]");
    var id = section.querySelector("[data-key-id]");
    var field = section.querySelector("[data-public-key-field]");
    if (pub) { pub.textContent = k ? k.publicKey : ""; }
    if (id) { id.textContent = k ? k.keyId : ""; }
    if (field) { field.value = k ? k.publicKey : ""; }
    section.setAttribute("data-has-key", k ? "true" : "false");
  }
  function fail(el, text) {
    var e = el.querySelector("[data-sign-error]");
    if (e) { e.textContent = text; e.hidden = false; }
  }

  document.querySelectorAll("[data-keygen]").forEach(function (section) {
    var owner = section.getAttribute("data-owner");
    keyOf(owner, false).then(function (k) { show(section, k); });
    var b = section.querySelector("[data-keygen-make]");
    if (b) {
      b.addEventListener("click", function () {
        keyOf(owner, true).then(function (k) { show(section, k); },
          function (e) { fail(section, String(e)); });
      });
    }
  });

  document.querySelectorAll("form[data-sign]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (form.getAttribute("data-signed") === "true") { return; }
      ev.preventDefault();
      var owner = form.getAttribute("data-owner");
      var body = form.querySelector("textarea[name=body]").value;
      keyOf(owner, false).then(function (k) {
        if (!k) { throw new Error(form.getAttribute("data-no-key") || "no signing key in this browser"); }
        return crypto.subtle.sign({ name: "Ed25519" }, k.pair.privateKey,
          new TextEncoder().encode(body)).then(function (sig) {
          form.querySelector("input[name=signature]").value = b64(sig);
          form.querySelector("input[name=keyId]").value = k.keyId;
          form.setAttribute("data-signed", "true");
          form.submit();
        });
      }).catch(function (e) { fail(form, e.message || String(e)); });
    });
  });
})();
