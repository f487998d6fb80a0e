package codec

// AV1SequenceSize returns the largest picture size of a coded video
// sequence, from the first sequence header OBU in obus (OBUs in a row, as
// in a temporal unit; an OBU without a size field runs to the end, as in
// an RTP packet's element): max_frame_width and max_frame_height (AV1
// 5.5.1), the size of a simulcast layer's pictures. ok is false when obus
// holds no sequence header, or one cut short.
func AV1SequenceSize(obus []byte) (width, height int, ok bool) {
	done := false
	forEachAV1SequenceHeader(obus, func(seq []byte) {
		if !done {
			done = true
			width, height, ok = av1SequenceSize(seq)
		}
	})
	return width, height, ok
}

// av1SequenceSize reads a sequence header OBU's payload up to its frame
// size.
func av1SequenceSize(seq []byte) (width, height int, ok bool) {
	r := &bitReader{b: seq}
	r.bits(3) // seq_profile
	r.bits(1) // still_picture
	if reduced := r.bits(1) == 1; reduced {
		r.bits(5) // seq_level_idx[0]
	} else {
		decoderModel := false
		bufferDelayBits := 0
		if r.bits(1) == 1 { // timing_info_present_flag
			r.bits(32)          // num_units_in_display_tick
			r.bits(32)          // time_scale
			if r.bits(1) == 1 { // equal_picture_interval
				r.uvlc() // num_ticks_per_picture_minus_1
			}
			if decoderModel = r.bits(1) == 1; decoderModel {
				bufferDelayBits = int(r.bits(5)) + 1 // buffer_delay_length_minus_1
				r.bits(32)                           // num_units_in_decoding_tick
				r.bits(5)                            // buffer_removal_time_length_minus_1
				r.bits(5)                            // frame_presentation_time_length_minus_1
			}
		}
		initialDelay := r.bits(1) == 1
		ops := int(r.bits(5)) + 1 // operating_points_cnt_minus_1
		for range ops {
			r.bits(12)         // operating_point_idc
			if r.bits(5) > 7 { // seq_level_idx
				r.bits(1) // seq_tier
			}
			if decoderModel && r.bits(1) == 1 { // decoder_model_present_for_this_op
				r.bits(bufferDelayBits) // decoder_buffer_delay
				r.bits(bufferDelayBits) // encoder_buffer_delay
				r.bits(1)               // low_delay_mode_flag
			}
			if initialDelay && r.bits(1) == 1 { // initial_display_delay_present_for_this_op
				r.bits(4) // initial_display_delay_minus_1
			}
		}
	}
	wbits := int(r.bits(4)) + 1 // frame_width_bits_minus_1
	hbits := int(r.bits(4)) + 1 // frame_height_bits_minus_1
	width = int(r.bits(wbits)) + 1
	height = int(r.bits(hbits)) + 1
	if r.err {
		return 0, 0, false
	}
	return width, height, true
}

// uvlc reads a variable length unsigned number (AV1 4.10.3); 32 leading
// zeros or more give 2^32 - 1.
func (r *bitReader) uvlc() uint32 {
	lead := 0
	for r.bits(1) == 0 {
		if r.err {
			return 0
		}
		lead++
	}
	if lead >= 32 {
		return 1<<32 - 1
	}
	return r.bits(lead) + (1<<lead - 1)
}
