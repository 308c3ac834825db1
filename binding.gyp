{
  "targets": [
    {
      "target_name": "rxtls_native",
      "sources": [
        "native/addon.c",
        "native/context.c",
        "native/engine.c",
        "native/socket.c",
        "native/fusion.c",
        "native/inbox.c"
      ],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter", "-std=c11"],
      "defines": ["OPENSSL_API_COMPAT=30000", "OPENSSL_NO_DEPRECATED"]
    }
  ]
}
