{
  "targets": [
    {
      "target_name": "tributary_native",
      "sources": [
        "storage/native/addon.cc",
        "storage/native/mapping.cc",
        "storage/native/async-operations.cc",
        "storage/native/file-operations.cc",
        "storage/native/crc32c.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "_GNU_SOURCE"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags": ["-fvisibility=hidden", "-O3", "-Wall", "-Wextra"],
      "cflags_cc": ["-std=c++20", "-fvisibility=hidden", "-O3", "-Wall", "-Wextra"]
    }
  ]
}
