// SPDX-License-Identifier: GPL-2.0
// SHA-256 (FIPS 180-4), for the manifest `embed` writes and `inspect`
// checks: the kernel compares against the same digest (crypto/sha2.h).
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace kexecpe {

using Digest = std::array<std::uint8_t, 32>;

class Sha256 {
public:
	Sha256() noexcept;
	void update(std::span<const std::uint8_t> data) noexcept;
	Digest final() noexcept;

	static Digest of(std::span<const std::uint8_t> data) noexcept
	{
		Sha256 h;
		h.update(data);
		return h.final();
	}

private:
	void block(const std::uint8_t *p) noexcept;

	std::array<std::uint32_t, 8> h_;
	std::array<std::uint8_t, 64> buf_{};
	std::uint64_t len_ = 0;		// bytes so far
};

} // namespace kexecpe
