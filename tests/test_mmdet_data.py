"""ILSVRC converter, ImageNet VID dataset on mmdet's video plumbing, bad input."""
import glob
import json
import os
import os.path as osp

import off_plugins  # noqa: F401  (compatibility fixes before mmdet)
import off_plugins.mmdet  # noqa: F401
import pytest
import torch
from mmdet.evaluation import CocoVideoMetric
from mmdet.registry import DATASETS, MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from off_plugins.mmdet import imagenet_vid as vid
from tool_loader import load_tool

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TOY_CONFIG = osp.join(REPO, 'configs', 'rfcn_off',
                      'rfcn-off-ms_r18-tiny_1xb4-400it_toyvid.py')
register_all_modules()


@pytest.fixture(autouse=True)
def mmdet_scope():
    """Build in mmdet's scope whatever another test module left as default."""
    with DefaultScope.overwrite_default_scope('mmdet'):
        yield


converter = load_tool('vid/ilsvrc_to_cocovid.py')
toy = load_tool('vid/make_toy_vid.py')

VID_XML = """<annotation><folder>x</folder><filename>{frame}</filename>
<size><width>320</width><height>240</height></size>{objects}</annotation>"""
OBJECT = """<object><trackid>{track}</trackid><name>{synset}</name><bndbox>
<xmax>{x2}</xmax><xmin>{x1}</xmin><ymax>{y2}</ymax><ymin>{y1}</ymin></bndbox>
<occluded>0</occluded><generated>0</generated></object>"""


def write(path, text):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


def make_ilsvrc(root):
    """Two VID snippets (3 and 1 frames) and three DET images (one off-class)."""
    ann = osp.join(root, 'Annotations')
    for snippet, frames in (('ILSVRC2015_train_00000000', 3),
                            ('ILSVRC2015_train_00000001', 1)):
        for t in range(frames):
            objects = OBJECT.format(
                track=0,
                synset='n02691156',
                x1=10 + t,
                y1=20,
                x2=60 + t,
                y2=80)
            objects += OBJECT.format(
                track=1, synset='n02391049', x1=100, y1=100, x2=150, y2=200)
            write(
                osp.join(ann, 'VID', 'train', 'a', snippet, f'{t:06d}.xml'),
                VID_XML.format(frame=t, objects=objects))
    det = osp.join(ann, 'DET', 'train')
    write(
        osp.join(det, 'img0.xml'),
        VID_XML.format(
            frame=0,
            objects=OBJECT.format(
                track='', synset='n02084071', x1=1, y1=2, x2=30,
                y2=40).replace('<trackid></trackid>', '')))
    write(
        osp.join(det, 'img1.xml'),
        VID_XML.format(
            frame=0,
            objects=OBJECT.format(
                track=0, synset='n00000001', x1=1, y1=2, x2=30, y2=40)))
    write(osp.join(det, 'img2.xml'), VID_XML.format(frame=0, objects=''))


def test_converter_vid_and_det(tmp_path, capsys):
    make_ilsvrc(str(tmp_path))
    vid = converter.convert(str(tmp_path), 'VID/train')
    assert [v['name'] for v in vid['videos']] == [
        'a/ILSVRC2015_train_00000000', 'a/ILSVRC2015_train_00000001'
    ]
    assert [i['frame_id'] for i in vid['images']] == [0, 1, 2, 0]
    assert vid['images'][1]['file_name'] == \
        'VID/train/a/ILSVRC2015_train_00000000/000001.JPEG'
    assert len(vid['annotations']) == 8 and len(vid['categories']) == 30
    first = vid['annotations'][0]
    assert first['bbox'] == [10, 20, 50, 60] and first['category_id'] == 1
    assert vid['annotations'][1]['category_id'] == 30  # zebra
    # a track keeps its instance id across frames, and is unique per video
    plane = [
        a['instance_id'] for a in vid['annotations'] if a['category_id'] == 1
    ]
    assert plane[:3] == [plane[0]] * 3 and plane[3] != plane[0]
    det = converter.convert(str(tmp_path), 'DET/train')
    assert [i['file_name'] for i in det['images']] == ['DET/train/img0.JPEG']
    assert det['videos'][0]['id'] == det['images'][0]['video_id']
    assert 'reading DET/train [3/3]' in capsys.readouterr().err
    listed = osp.join(tmp_path, 'DET_train_30classes.txt')
    write(listed, 'train/img2 1\ntrain/img0 2\n')
    det = converter.convert(str(tmp_path), 'DET/train', image_list=listed)
    assert [i['file_name'] for i in det['images']] == ['DET/train/img0.JPEG']
    write(listed, 'val/img0 1\n')
    with pytest.raises(ValueError, match='DET_train_30classes.txt:1'):
        converter.convert(str(tmp_path), 'DET/train', image_list=listed)


def test_converter_joins_vid_and_det_into_one_training_file(tmp_path):
    """The R-FCN configs' training set: one file that TrackImgSampler walks
    frame by frame over VID snippets and DET images alike (a ConcatDataset of
    two files cannot be indexed by its (video, frame) pairs)."""
    from mmdet.datasets.samplers import TrackImgSampler
    root = str(tmp_path)
    make_ilsvrc(root)
    listed = osp.join(root, 'DET_train_30classes.txt')
    write(listed, 'train/img0 1\ntrain/img2 2\n')
    out = osp.join(root, 'annotations', 'joint.json')
    converter.main([
        root, '--split', 'VID/train', '--split', 'DET/train', '--image-list',
        listed, '--out', out
    ])
    with open(out) as f:
        joint = json.load(f)
    assert [i['file_name']
            for i in joint['images']][-1] == 'DET/train/img0.JPEG'
    for key in ('videos', 'images', 'annotations'):
        ids = [item['id'] for item in joint[key]]
        assert ids == list(range(1, len(ids) + 1)), key
    assert len(joint['videos']) == 3 and len(joint['annotations']) == 9
    dataset = DATASETS.build(
        dict(
            type='ImagenetVIDDataset',
            data_root=root,
            ann_file=out,
            data_prefix=dict(img_path='Data/'),
            pipeline=[],
            filter_cfg=dict(filter_empty_gt=True, min_size=32)))
    pairs = list(TrackImgSampler(dataset, seed=0))
    frames = {
        dataset.get_data_info(v)['images'][f]['img_path']
        for v, f in pairs
    }
    assert len(pairs) == len(frames) == 5
    assert osp.join(root, 'Data', 'DET/train/img0.JPEG') in frames
    with pytest.raises(SystemExit):
        converter.main([
            root, '--image-list', listed, '--split', 'DET/train', '--out', out
        ])


@pytest.mark.parametrize('content, message', [
    ('<annotation><size><width>3', 'malformed XML'),
    ('', 'malformed XML'),
    ('<annotation></annotation>', 'no <size> element'),
    ('<annotation><size><width>a</width><height>2</height></size></annotation>',
     'not a number'),
])
def test_converter_names_the_malformed_file(tmp_path, content, message):
    make_ilsvrc(str(tmp_path))
    bad = osp.join(tmp_path, 'Annotations', 'VID', 'train', 'a',
                   'ILSVRC2015_train_00000001', '000000.xml')
    write(bad, content)
    with pytest.raises(converter.AnnotationError, match=message) as info:
        converter.convert(str(tmp_path), 'VID/train')
    assert bad in str(info.value)


def test_converter_clips_or_drops_bad_boxes_naming_the_file(tmp_path, capsys):
    make_ilsvrc(str(tmp_path))
    frame = osp.join(tmp_path, 'Annotations', 'VID', 'train', 'a',
                     'ILSVRC2015_train_00000001', '000000.xml')
    objects = (
        OBJECT.format(
            track=0, synset='n02691156', x1=-5, y1=20, x2=400,
            y2=80)  # outside a 320x240 image
        + OBJECT.format(
            track=1, synset='n02391049', x1=150, y1=100, x2=100,
            y2=200)  # inverted
        + OBJECT.format(
            track=2, synset='n02391049', x1=330, y1=10, x2=350, y2=20)
    )  # entirely outside
    write(frame, VID_XML.format(frame=0, objects=objects))
    with pytest.warns(UserWarning) as caught:
        vid = converter.convert(str(tmp_path), 'VID/train')
    messages = [str(w.message) for w in caught]
    assert messages == [
        f'{frame}: n02691156 box [-5.0, 20.0, 400.0, 80.0] reaches outside '
        'the 320x240 image; clipped to [0.0, 20.0, 320.0, 80.0]',
        f'{frame}: n02391049 box [150.0, 100.0, 100.0, 200.0] (xmin, ymin, '
        'xmax, ymax) is empty or inverted in the 320x240 image; dropped',
        f'{frame}: n02391049 box [330.0, 10.0, 350.0, 20.0] (xmin, ymin, '
        'xmax, ymax) is empty or inverted in the 320x240 image; dropped'
    ]
    last = [
        a for a in vid['annotations']
        if a['image_id'] == vid['images'][-1]['id']
    ]
    assert [a['bbox'] for a in last] == [[0.0, 20.0, 320.0, 60.0]]
    assert ('VID/train: 1 box(es) clipped to their image, 2 empty or '
            'inverted box(es) dropped') in capsys.readouterr().err


def test_converter_reports_missing_frames(tmp_path):
    make_ilsvrc(str(tmp_path))
    out = osp.join(tmp_path, 'out.json')
    with pytest.raises(FileNotFoundError, match='000000.JPEG is missing'):
        converter.main([
            str(tmp_path), '--split', 'VID/train', '--out', out,
            '--check-images'
        ])
    converter.main([str(tmp_path), '--split', 'VID/train', '--out', out])
    assert len(json.load(open(out))['images']) == 4


def toy_dataset_cfg(root, ann_file, test_mode=False):
    cfg = Config.fromfile(TOY_CONFIG)
    loader = cfg.test_dataloader if test_mode else cfg.train_dataloader
    dataset = loader.dataset
    dataset.update(data_root=root, ann_file=ann_file)
    return dataset


@pytest.fixture(scope='module')
def toy_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('toyvid'))
    toy.generate_split(root, 'train', videos=2, frames=4, seed=0)
    toy.generate_split(root, 'val', videos=2, frames=3, seed=1)
    return root


def test_toy_generator_is_deterministic(tmp_path, toy_root):
    ann = toy.generate_split(
        str(tmp_path), 'train', videos=2, frames=4, seed=0)
    assert open(ann).read() == open(
        osp.join(toy_root, 'annotations', 'train.json')).read()
    coco = json.load(open(ann))
    assert len(coco['videos']) == 2 and len(coco['images']) == 8
    for a in coco['annotations']:
        x, y, w, h = a['bbox']
        assert 0 <= x and 0 <= y and x + w <= toy.FRAME_SIZE and y + h <= toy.FRAME_SIZE


def test_train_pipeline_pairs_key_and_previous_frame(toy_root):
    dataset = DATASETS.build(
        toy_dataset_cfg(toy_root, 'annotations/train.json'))
    assert len(dataset) == 2 and dataset.num_all_imgs == 8
    for _ in range(5):  # the reference is not drawn at random any more
        out = dataset[(0, 2)]
        sample = out['data_samples']
        assert out['inputs'].shape == (2, 3, toy.FRAME_SIZE, toy.FRAME_SIZE)
        key, ref = sample.key_frames_inds[0], sample.ref_frames_inds[0]
        assert (sample[key].frame_id, sample[ref].frame_id) == (2, 1)
        assert len(sample[key].gt_instances.bboxes) > 0


def frame_pairs(dataset, video):
    """(key, reference) frame ids the dataset gives for every frame of ``video``."""
    pairs = []
    for t in range(dataset.get_data_info(video)['video_length']):
        sample = dataset[(video, t)]['data_samples']
        pairs.append((sample[sample.key_frames_inds[0]].frame_id,
                      sample[(sample.ref_frames_inds
                              or sample.key_frames_inds)[0]].frame_id))
    return pairs


@pytest.mark.parametrize('offset', [1, 2, -1])
def test_training_and_test_use_one_gap_and_direction(toy_root, offset):
    """Eq. 7's Delta t: the same (key, reference) pairs in training and test."""
    train_cfg = toy_dataset_cfg(toy_root, 'annotations/val.json')
    train_cfg.pipeline[0].offset = offset
    train = DATASETS.build(train_cfg)
    test = DATASETS.build(
        toy_dataset_cfg(toy_root, 'annotations/val.json', True))
    test.test_ref_offset = offset
    expected = [(t, min(max(t - offset, 0), 2)) for t in range(3)]
    assert frame_pairs(train, 0) == frame_pairs(test, 0) == expected


def test_reference_pair_orders_frames_in_time():
    assert vid.reference_pair(5, 10, 1) == ([4, 5], [False, True])
    assert vid.reference_pair(5, 10, -2) == ([5, 7], [True, False])
    assert vid.reference_pair(0, 10, 3) == ([0, 0], [False, True])
    assert vid.reference_pair(0, 1, -1) == ([0, 0], [False, True])
    with pytest.raises(ValueError, match='outside a video of 4 frames'):
        vid.reference_pair(4, 4, 1)
    with pytest.raises(TypeError, match='offset must be an int'):
        vid.FixedOffsetRefFrameSample(offset=1.5)


def test_test_mode_adds_the_previous_frame(toy_root):
    dataset = DATASETS.build(
        toy_dataset_cfg(toy_root, 'annotations/val.json', True))
    out = dataset[(1, 2)]['data_samples']
    assert [f.frame_id for f in out] == [1, 2] and out.key_frames_inds == [1]
    first = dataset[(1, 0)]['data_samples']  # first frame: its own reference
    assert [f.frame_id for f in first] == [0, 0]
    dataset.test_ref_offset = None  # single-frame testing
    assert len(dataset[(1, 2)]['data_samples']) == 1


def write_coco(path, images, annotations):
    coco = dict(
        categories=[dict(id=i + 1, name=c) for i, c in enumerate(toy.CLASSES)],
        videos=[dict(id=1, name='v')],
        images=images,
        annotations=annotations)
    with open(path, 'w') as f:
        json.dump(coco, f)


def image(i, file_name):
    return dict(
        id=i,
        video_id=1,
        frame_id=i - 1,
        file_name=file_name,
        width=160,
        height=160)


def box(i, image_id, bbox):
    return dict(
        id=i,
        image_id=image_id,
        category_id=1,
        instance_id=1,
        bbox=bbox,
        area=bbox[2] * bbox[3],
        iscrowd=0)


def test_boxes_outside_the_image_are_clipped_or_dropped_with_warning(
        toy_root, tmp_path):
    ann = osp.join(tmp_path, 'outside.json')
    frames = sorted(os.listdir(osp.join(toy_root, 'train', 'video_000')))
    write_coco(
        ann,
        [
            image(1, f'train/video_000/{frames[0]}'),
            image(2, f'train/video_000/{frames[1]}')
        ],
        [
            box(1, 1, [150, 150, 30, 30]),  # partly outside: clipped
            box(2, 1, [200, 10, 20, 20]),  # fully outside: dropped
            box(3, 2, [-40, -40, 20, 20])
        ])  # frame 2 left without boxes
    with pytest.warns(
            UserWarning,
            match='1 boxes clipped .* 2 boxes with less than one pixel'
    ) as record:
        dataset = DATASETS.build(toy_dataset_cfg(toy_root, ann))
    assert any(ann in str(w.message) for w in record)
    (frame,
     ) = dataset.get_data_info(0)['images']  # frame 2 filtered (no boxes)
    assert [i['bbox'] for i in frame['instances']] == [[150, 150, 160, 160]]
    # the single remaining frame is its own reference, and the model trains on it
    data = pseudo_collate([dataset[(0, 0)]])
    assert [f.frame_id for f in data['data_samples'][0]] == [0, 0]
    model = MODELS.build(Config.fromfile(TOY_CONFIG).model)
    losses = model.loss(**model.data_preprocessor(data, training=True))
    assert torch.isfinite(losses['loss_cls'])


@pytest.mark.parametrize('content, message', [
    ('', 'is empty'),
    ('{"images": [], "annotations": [], "categories": []}', 'lists no images'),
    ('{"images": [', 'is not valid json'),
])
def test_empty_annotation_file_raises_naming_it(toy_root, tmp_path, content,
                                                message):
    ann = osp.join(tmp_path, 'bad.json')
    write(ann, content)
    with pytest.raises(ValueError, match=message) as info:
        DATASETS.build(toy_dataset_cfg(toy_root, ann))
    assert ann in str(info.value)


def test_missing_frame_raises_naming_the_file(toy_root, tmp_path):
    ann = osp.join(tmp_path, 'missing.json')
    write_coco(ann, [
        image(1, 'train/video_000/000000.jpg'),
        image(2, 'train/video_000/does_not_exist.jpg')
    ], [box(1, 1, [10, 10, 30, 30]),
        box(2, 2, [10, 10, 30, 30])])
    dataset = DATASETS.build(toy_dataset_cfg(toy_root, ann, test_mode=True))
    with pytest.raises(FileNotFoundError, match='does_not_exist.jpg'):
        dataset[(0, 1)]


def test_predictions_reach_coco_video_metric(toy_root):
    """Test-mode data -> OFF model -> CocoVideoMetric, scoring key frames only."""
    cfg = Config.fromfile(TOY_CONFIG)
    dataset = DATASETS.build(
        toy_dataset_cfg(toy_root, 'annotations/val.json', True))
    model = MODELS.build(cfg.model).eval()
    metric = CocoVideoMetric(
        ann_file=osp.join(toy_root, 'annotations', 'val.json'))
    metric.dataset_meta = dataset.metainfo
    with torch.no_grad():
        for video in range(len(dataset)):
            for frame in range(dataset.get_len_per_video(video)):
                batch = pseudo_collate([dataset[(video, frame)]])
                outputs = model.test_step(batch)
                assert outputs[0][0].frame_id == frame
                metric.process(batch, [o.to_dict() for o in outputs])
    assert len(metric.results) == dataset.num_all_imgs
    results = metric.evaluate(size=dataset.num_all_imgs)
    assert 0.0 <= results['coco/bbox_mAP_50'] <= 1.0


def test_classwise_ap50_from_the_metric_log(toy_root):
    """The config's classwise CocoVideoMetric logs per-class AP@50; the demo reads it.

    Predictions are the ground-truth boxes of one class only, shifted by a
    fifth of their width (IoU 2/3): that class scores AP@50 = 1 (and less
    averaged over IoU 0.5:0.95), the others 0.
    """
    import logging
    from mmengine.logging import MMLogger
    from mmengine.structures import InstanceData
    cfg = Config.fromfile(TOY_CONFIG)
    dataset = DATASETS.build(
        toy_dataset_cfg(toy_root, 'annotations/val.json', True))
    evaluator = dict(
        cfg.test_evaluator,
        ann_file=osp.join(toy_root, 'annotations', 'val.json'))
    assert evaluator.pop(
        'type') == 'CocoVideoMetric' and evaluator['classwise']
    metric = CocoVideoMetric(**evaluator)
    metric.dataset_meta = dataset.metainfo
    labels = torch.cat([
        dataset[(v, f)]['data_samples'][-1].gt_instances.labels
        for v in range(len(dataset))
        for f in range(dataset.get_len_per_video(v))
    ])
    kept = int(labels[0])
    for video in range(len(dataset)):
        for frame in range(dataset.get_len_per_video(video)):
            batch = pseudo_collate([dataset[(video, frame)]])
            sample = batch['data_samples'][0]
            key = sample[sample.key_frames_inds[0]]
            gt = key.gt_instances[key.gt_instances.labels == kept]
            shift = torch.zeros_like(gt.bboxes)
            shift[:, [0, 2]] = 0.2 * (gt.bboxes[:, 2:3] - gt.bboxes[:, 0:1])
            key.pred_instances = InstanceData(
                bboxes=gt.bboxes + shift,
                labels=gt.labels,
                scores=torch.ones(len(gt)))
            out = type(sample)(
                metainfo=dict(key_frames_inds=[0], ref_frames_inds=[]))
            out.video_data_samples = [key]
            metric.process(batch, [out.to_dict()])
    records = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        metric.evaluate(size=dataset.num_all_imgs)
    finally:
        logger.removeHandler(handler)
    ap50 = load_tool('vid/run_toy_vid.py').classwise_ap50(
        '\n'.join(records), toy.CLASSES)
    present = set(labels.tolist())
    for i, name in enumerate(toy.CLASSES):
        if i == kept:
            assert ap50[name] == 1.0
        elif i in present:
            assert ap50[name] == 0.0


def test_mmdet_test_tool_show_dir_draws_video_detections(toy_root, tmp_path):
    """MMDetection's own tools/test.py --show-dir with OFFRFCN writes one PNG a frame."""
    import subprocess
    import sys
    import cv2
    from off_plugins.utils import shipped_file
    config = osp.join(
        REPO, 'configs', 'rfcn_off',
        'rfcn-off-ms_rfcn-400it-pretrained-r18-tiny_1xb4-400it_toyvid.py')
    cfg = Config.fromfile(config)
    model = MODELS.build(cfg.model)
    ckpt = str(tmp_path / 'model.pth')
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=dict(classes=toy.CLASSES))), ckpt)
    ann = osp.join(toy_root, 'annotations', 'val.json')
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            [REPO] + [p for p in [os.environ.get('PYTHONPATH')] if p]))
    proc = subprocess.run([
        sys.executable,
        shipped_file('mmdet', 'tools', 'test.py'), config, ckpt, '--work-dir',
        str(tmp_path / 'work'), '--show-dir', 'frames', '--cfg-options',
        f'test_dataloader.dataset.data_root={toy_root}/',
        f'test_evaluator.ann_file={ann}', 'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False'
    ],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    pngs = sorted(
        glob.glob(str(tmp_path / 'work' / '*' / 'frames' / '*' / '*.png')))
    coco = json.load(open(ann))
    # one image a frame, in a folder a video (frames of two videos share names)
    assert len(pngs) == len(coco['images']) == 6
    assert len({osp.basename(osp.dirname(p)) for p in pngs}) == 2
    img = cv2.imread(pngs[0])
    assert img.shape == (toy.FRAME_SIZE, 2 * toy.FRAME_SIZE, 3
                         )  # ground truth | predictions


def test_stage2_detector_refuses_an_unloaded_frozen_backbone(
        toy_root, tmp_path):
    """A two-stage toy config trains on a frozen backbone: no load_from, no start."""
    from mmengine.runner import Runner
    cfg = Config.fromfile(
        osp.join(
            REPO, 'configs', 'rfcn_off',
            'rfcn-off-ms_rfcn-400it-pretrained-r18-tiny_1xb4-400it_toyvid.py'))
    cfg.work_dir = str(tmp_path)
    cfg.train_dataloader.dataset.data_root = toy_root + '/'
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    cfg.train_cfg.val_interval = cfg.train_cfg.max_iters
    runner = Runner.from_cfg(cfg)
    with pytest.raises(
            RuntimeError, match=r'no checkpoint was loaded: set load_from'):
        runner.train()
    assert not glob.glob(str(tmp_path / '*.pth'))
