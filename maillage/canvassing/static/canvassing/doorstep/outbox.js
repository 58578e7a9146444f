// The doorstep app's local store (IndexedDB): downloaded turfs, the outbox of results waiting
// to be sent, and the people already recorded on this phone. No framework: plain promises.
(function (global) {
  "use strict";
  var DB_NAME = "maillage-doorstep";
  var DB_VERSION = 1;
  var opening = null;

  function open() {
    if (opening) return opening;
    opening = new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains("turfs")) db.createObjectStore("turfs", { keyPath: "id" });
        if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "uuid" });
        if (!db.objectStoreNames.contains("recorded")) db.createObjectStore("recorded", { keyPath: "uuid" });
        if (!db.objectStoreNames.contains("rejected")) db.createObjectStore("rejected", { keyPath: "uuid" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
    return opening;
  }

  function run(storeNames, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(storeNames, mode);
        var value;
        tx.oncomplete = function () { resolve(value); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
        var stores = {};
        [].concat(storeNames).forEach(function (name) { stores[name] = tx.objectStore(name); });
        work(stores, function (result) { value = result; });
      });
    });
  }

  function all(storeName) {
    return run(storeName, "readonly", function (stores, done) {
      var request = stores[storeName].getAll();
      request.onsuccess = function () { done(request.result); };
    });
  }

  global.MaillageOutbox = {
    saveTurf: function (data) {
      return run("turfs", "readwrite", function (stores) { stores.turfs.put(data); });
    },
    getTurf: function (id) {
      return run("turfs", "readonly", function (stores, done) {
        var request = stores.turfs.get(id);
        request.onsuccess = function () { done(request.result || null); };
      });
    },
    // A result is keyed by its UUID: putting it twice (a double tap) keeps one.
    add: function (result) {
      return run(["outbox", "recorded"], "readwrite", function (stores) {
        stores.outbox.put(result);
        stores.recorded.put({ uuid: result.uuid, person: result.person, turf: result.turf, result: result.result });
      });
    },
    pending: function () { return all("outbox"); },
    count: function () {
      return run("outbox", "readonly", function (stores, done) {
        var request = stores.outbox.count();
        request.onsuccess = function () { done(request.result); };
      });
    },
    recorded: function () { return all("recorded"); },
    rejected: function () { return all("rejected"); },
    // Drop what the server has (stored, duplicate); keep refused ones aside with their reason.
    settle: function (answers, sent) {
      var byUuid = {};
      sent.forEach(function (item) { byUuid[item.uuid] = item; });
      return run(["outbox", "rejected", "recorded"], "readwrite", function (stores) {
        answers.forEach(function (answer) {
          if (answer.status === "stored" || answer.status === "duplicate") {
            stores.outbox.delete(answer.uuid);
          } else if (answer.status === "rejected") {
            var item = byUuid[answer.uuid];
            stores.outbox.delete(answer.uuid);
            stores.recorded.delete(answer.uuid);
            if (item) stores.rejected.put({ uuid: answer.uuid, person: item.person, name: item.name || "", reason: answer.reason || "" });
          }
        });
      });
    }
  };
})(window);
