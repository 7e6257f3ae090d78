/* Stand-in for Windows' bcryptprimitives.dll, for the Wine prefix that builds and tests the Windows
 * bundle ONLY. Rust's standard library (in cryptography's native module) draws random bytes with
 * ProcessPrng, which every Windows 10/11 has and Wine 8 lacks. Here it asks Wine's BCryptGenRandom.
 * Never copied into the bundle or the installer: scripts/build_windows.sh refuses to ship if it were.
 * Build: zig cc -target x86_64-windows-gnu -shared -O2 -o bcryptprimitives.dll bcryptprimitives.c -lbcrypt
 */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size) {
    while (size > 0) {
        ULONG chunk = size > 0x40000000 ? 0x40000000 : (ULONG)size;
        if (BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) return FALSE;
        data += chunk;
        size -= chunk;
    }
    return TRUE;
}
