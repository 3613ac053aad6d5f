// Identities of binaries, for deduplication: a content hash of any bytes, and the GNU build-id of an ELF
// shared object (two builds of the same orchestration source share a build-id even when a path baked
// into them differs). Header-only so host code and tools can use it without linking anything.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <elf.h>

namespace pto {

inline uint64_t fnv1a64(const void *data, size_t size) {
    const auto *p = static_cast<const uint8_t *>(data);
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < size; ++i) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

// The first 8 bytes of the NT_GNU_BUILD_ID note of a 64-bit little-endian ELF, or the content hash when
// the bytes are not such an ELF or carry no build-id. Reads only inside [data, data + size).
inline uint64_t elf_build_id_64(const void *data, size_t size) {
    const auto *bytes = static_cast<const uint8_t *>(data);
    auto fallback = [&] { return fnv1a64(data, size); };
    if (size < sizeof(Elf64_Ehdr) || std::memcmp(bytes, ELFMAG, SELFMAG) != 0 || bytes[EI_CLASS] != ELFCLASS64)
        return fallback();
    Elf64_Ehdr eh;
    std::memcpy(&eh, bytes, sizeof eh);
    if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > size ||
        static_cast<uint64_t>(eh.e_shnum) * sizeof(Elf64_Shdr) > size - eh.e_shoff)
        return fallback();
    for (uint16_t i = 0; i < eh.e_shnum; ++i) {
        Elf64_Shdr sh;
        std::memcpy(&sh, bytes + eh.e_shoff + i * sizeof(Elf64_Shdr), sizeof sh);
        if (sh.sh_type != SHT_NOTE || sh.sh_offset > size || sh.sh_size > size - sh.sh_offset) continue;
        uint64_t off = sh.sh_offset, end = sh.sh_offset + sh.sh_size;
        while (end - off >= sizeof(Elf64_Nhdr)) {
            Elf64_Nhdr nh;
            std::memcpy(&nh, bytes + off, sizeof nh);
            uint64_t name_at = off + sizeof nh;
            uint64_t desc_at = name_at + ((nh.n_namesz + 3u) & ~3u);
            uint64_t next = desc_at + ((nh.n_descsz + 3u) & ~3u);
            if (next > end) break;
            if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && std::memcmp(bytes + name_at, "GNU", 4) == 0 &&
                nh.n_descsz >= 8) {
                uint64_t id;
                std::memcpy(&id, bytes + desc_at, sizeof id);
                return id;
            }
            off = next;
        }
    }
    return fallback();
}

}  // namespace pto
