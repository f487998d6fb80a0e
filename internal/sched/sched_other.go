//go:build !linux

// Package sched gives mcu's threads their priorities (on Linux; elsewhere
// these only pin the goroutine to its thread).
package sched

import (
	"runtime"
	"time"
)

// Decoder pins the calling goroutine to its OS thread.
func Decoder() { runtime.LockOSThread() }

// Critical pins the calling goroutine to its OS thread.
func Critical() { runtime.LockOSThread() }

// OwnCPU pins the calling goroutine to its OS thread.
func OwnCPU() { runtime.LockOSThread() }

// Background does nothing here.
func Background(nice int) error { return nil }

// threadCPU is not measured here.
func threadCPU() time.Duration { return 0 }

// CanRaise reports whether Critical raises a thread's priority: here it
// never tries.
func CanRaise() bool { return true }
